"""Automated tests and their runs in the admin (registered from testruns/admin.py).

Tests are written through the services the API and the web UI call (testruns/suites.py), so
the same checks and role apply: the form shapes the input, and a definition the service would
refuse is refused beside the field. Runs are history: shown read-only, with their attempts,
and cancelled through `run_cancel`.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.template.response import TemplateResponse

from agents.admin import PrettyJSONField
from agents.selectors import agent_scope_for
from common.admin import (
    ReadOnlyMixin,
    ServiceErrorsAsMessages,
    action_form_page,
    submitted_form,
)
from common.errors import DomainError, InvalidInput
from testruns.models import DEFAULT_SUITE, SUITE_MAX_LENGTH, AgentTest, TestAttempt, TestRun
from testruns.runs import run_cancel
from testruns.suites import (
    agent_test_create,
    agent_test_delete,
    agent_test_update,
    definition_check,
)
from workspaces.admin_scoping import HistoryAdmin, MemberInline, WorkspaceScopedAdmin


class AgentTestAdminForm(forms.ModelForm):
    # Left empty, the service puts the test in the default suite, as the API does.
    suite = forms.CharField(
        required=False,
        max_length=SUITE_MAX_LENGTH,
        help_text=f"Tests of one suite run together; “{DEFAULT_SUITE}” when left empty.",
    )
    definition = PrettyJSONField(
        help_text="For ElevenLabs' kinds, the body of ElevenLabs' test without its name; for a "
        "scripted conversation, the script (dynamic_variables, turns, ends_within_turns).",
        # Monospaced by app/admin.css: the Content-Security-Policy refuses style attributes.
        widget=forms.Textarea(attrs={"rows": 20, "cols": 100, "class": "json-config"}),
    )

    class Meta:
        model = AgentTest
        fields = ("agent", "name", "suite", "kind", "definition")

    def clean(self) -> dict[str, Any]:
        # The check the service makes, run here so each problem of the definition is shown
        # under it, named by its path ("definition.turns[0].user: …").
        super().clean()
        cleaned = self.cleaned_data
        kind, definition = cleaned.get("kind"), cleaned.get("definition")
        if kind and "definition" in cleaned:
            try:
                definition_check(kind, definition)
            except InvalidInput as error:
                self.add_error("definition", error.sentences())
        return cleaned


class DeleteTestsForm(forms.Form):
    """Nothing to fill in: the page of the delete action says what deleting a test means."""


@admin.register(AgentTest)
class AgentTestAdmin(ServiceErrorsAsMessages, WorkspaceScopedAdmin):
    form = AgentTestAdminForm
    workspace_lookup = "agent__workspace"
    list_display = ("name", "agent", "suite", "kind", "created_by_shown", "updated_at")
    list_filter = (
        "kind",
        "suite",
        ("agent", admin.RelatedOnlyFieldListFilter),
        ("agent__workspace", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "agent__name")
    list_select_related = ("agent",)
    readonly_fields = (
        "from_conversation",
        "elevenlabs_test_id",
        "created_by_shown",
        "created_at",
        "updated_at",
    )
    actions = ["delete_selected"]

    class Media:
        css = {"all": ("app/admin.css",)}  # the definition's box, monospaced

    def get_readonly_fields(
        self, request: HttpRequest, obj: AgentTest | None = None
    ) -> tuple[str, ...]:
        # A test stays with its agent: its runs belong there.
        return ("agent", *self.readonly_fields) if obj else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: AgentTest | None = None) -> tuple[str, ...]:
        main = ("agent", "name", "suite", "kind", "definition")
        return (*main, *self.readonly_fields) if obj else main

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "agent":
            # The caller's active agents: an archived one takes no new tests.
            kwargs["queryset"] = agent_scope_for(request.user).filter(archived_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="created by", ordering="created_by_name")
    def created_by_shown(self, test: AgentTest) -> str:
        return test.created_by_name

    # --- Writes: through the services, never around them.

    def save_model(self, request: HttpRequest, obj: AgentTest, form: Any, change: bool) -> None:
        fields = {key: form.cleaned_data[key] for key in ("name", "suite", "kind", "definition")}
        if change:
            # The service is given the test as stored: the form has already set its new values
            # on `obj`, and a change of kind is judged against the stored one.
            saved = agent_test_update(
                test=AgentTest.objects.select_related("agent__workspace").get(pk=obj.pk),
                actor=request.user,
                **fields,
            )
        else:
            saved = agent_test_create(
                agent=form.cleaned_data["agent"], actor=request.user, **fields
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: AgentTest) -> None:
        agent_test_delete(test=obj, actor=request.user)

    @admin.action(description="Delete selected tests…", permissions=["delete"])
    def delete_selected(
        self, request: HttpRequest, queryset: QuerySet[AgentTest]
    ) -> TemplateResponse | None:
        """Ask, then delete each through `agent_test_delete`; report each refusal."""
        form = submitted_form(DeleteTestsForm, request)
        if not form.is_valid():
            return action_form_page(
                self,
                request,
                queryset,
                form=form,
                action="delete_selected",
                title="Delete tests",
                intro="Runs that tried these tests keep what they ran; ElevenLabs' copies of "
                "its kinds of test are deleted too.",
            )
        deleted = []
        for test in queryset.select_related("agent__workspace"):
            try:
                with transaction.atomic():
                    # Logged first, while it still has its id; undone with a refusal.
                    self.log_deletions(request, queryset.filter(pk=test.pk))
                    agent_test_delete(test=test, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{test}: {error.message}", messages.ERROR)
            else:
                deleted.append(test.name)
        if deleted:
            self.message_user(request, f"Deleted {', '.join(deleted)}.", messages.SUCCESS)
        return None


class TestAttemptInline(ReadOnlyMixin, MemberInline):
    """Every try of every test in the run, as it went."""

    __test__ = False  # not a pytest test class, whatever its name says

    model = TestAttempt
    fields = (
        "test_name",
        "suite",
        "kind",
        "number",
        "status",
        "reasons",
        "seconds",
        "latencies_ms",
        "conversation",
        "transcript",
    )
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "attempts"


@admin.register(TestRun)
class TestRunAdmin(HistoryAdmin):
    """Runs of agents' tests: written by the run's worker alone, shown here; a run going on
    can be cancelled (`run_cancel`, which checks the role)."""

    list_display = (
        "created_at",
        "agent",
        "status",
        "suite_shown",
        "version",
        "progress",
        "promotion",
        "started_by_shown",
        "finished_at",
    )
    list_filter = (
        "status",
        "promotion",
        ("agent__workspace", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("agent__name", "config_revision", "suite")
    list_select_related = ("agent",)
    fields = (
        "agent",
        "status",
        "reason",
        "suite",
        "target",
        "version",
        "config_revision",
        "branch_id",
        "elevenlabs_version_id",
        "repeat",
        "pass_threshold",
        "done",
        "total",
        "promotion",
        "promote_changes",
        "promoted_version",
        "started_by",
        "started_by_name",
        "cancelled_by",
        "created_at",
        "started_at",
        "finished_at",
        "elevenlabs_invocation_id",
        "result",
    )
    inlines = [TestAttemptInline]
    actions = ["cancel_selected"]

    @admin.display(description="suite", ordering="suite")
    def suite_shown(self, run: TestRun) -> str:
        return run.suite or "all suites"

    @admin.display(description="progress")
    def progress(self, run: TestRun) -> str:
        return f"{run.done} / {run.total}"

    @admin.display(description="started by", ordering="started_by_name")
    def started_by_shown(self, run: TestRun) -> str:
        return run.started_by_name

    @admin.action(description="Cancel selected test runs")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[TestRun]) -> None:
        """Cancel each through `run_cancel`; a run finished already, or one the caller may not
        cancel, is reported with the service's reason."""
        cancelled = 0
        for run in queryset.select_related("agent__workspace"):
            try:
                run_cancel(run=run, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                cancelled += 1
                self.log_change(request, run, "Cancelled.")
        if cancelled:
            runs = "test run" if cancelled == 1 else "test runs"
            self.message_user(request, f"Cancelled {cancelled} {runs}.", messages.SUCCESS)
