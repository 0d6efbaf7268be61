from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from deployments.selectors import working_config_is_newest_version
from testruns.services import result_record
from web.forms import TestResultForm, posted
from web.pages import agent_changed, agent_or_404, render_page


@login_required
def new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record how a test of the agent's current config went."""
    agent = agent_or_404(request, pk)
    form = TestResultForm(posted(request))
    result = form.submit(lambda data: result_record(agent=agent, actor=request.user, **data))
    if result:
        message = f"Test recorded: {result.get_status_display().lower()}."
        return agent_changed(request, agent, message)
    context = {
        "agent": agent,
        "form": form,
        "unedited": working_config_is_newest_version(agent=agent),
    }
    return render_page(
        request,
        "testruns/test_result_new.html",
        context,
        workspace=agent.workspace,
        status=form.http_status,
        dialog=True,
    )
