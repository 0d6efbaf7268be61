from django.contrib.auth.decorators import login_required

from agents.views import agent_changed, agent_or_404
from common.forms import posted
from common.views import render_page
from testruns.forms import TestResultForm
from testruns.services import test_result_create


@login_required
def test_result_new(request, pk):
    """Record how a test of the agent's current config went."""
    agent = agent_or_404(request, pk)
    form = TestResultForm(posted(request))
    result = form.submit(lambda data: test_result_create(agent=agent, actor=request.user, **data))
    if result:
        message = f"Test recorded: {result.get_status_display().lower()}."
        return agent_changed(request, agent, message)
    context = {"agent": agent, "form": form}
    return render_page(
        request,
        "testruns/test_result_new.html",
        context,
        workspace=agent.workspace,
        status=form.status,
        dialog=True,
    )
