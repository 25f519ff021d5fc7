"""Activities: logged or scheduled on the deal page, completed and undone there or on
"My activities" (overdue / today / upcoming / done, in the company time zone)."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap

from accounts.forms import form_error_text
from deals.access import deal_get_visible_or_404, visible_through_deal
from deals.forms_deal import ActivityForm
from deals.models import Activity, Deal
from deals.selectors.activities import ActivityFilters, QuickDue, my_activities, quick_due_choices
from deals.selectors.deal_page import DEAL_PAGE_QUERYSET
from deals.services.activities import activity_delete, activity_log, activity_set_done
from deals.views.board_answers import page_params
from deals.views.panel import panel_id, panel_response
from deals.views.refusals import Page, refusal_answer
from pipelinecrm.exceptions import DomainError
from pipelines.models import ActivityKind

# The deal panel's answer to a new activity, one sentence per kind (docs/i18n.md).
LOGGED = {
    ActivityKind.CALL: gettext_lazy("Logged: call."),
    ActivityKind.MEETING: gettext_lazy("Logged: meeting."),
    ActivityKind.EMAIL: gettext_lazy("Logged: email."),
    ActivityKind.TASK: gettext_lazy("Logged: task."),
    ActivityKind.NOTE: gettext_lazy("Logged: note."),
}
SCHEDULED = {
    ActivityKind.CALL: gettext_lazy("Scheduled: call."),
    ActivityKind.MEETING: gettext_lazy("Scheduled: meeting."),
    ActivityKind.EMAIL: gettext_lazy("Scheduled: email."),
    ActivityKind.TASK: gettext_lazy("Scheduled: task."),
    ActivityKind.NOTE: gettext_lazy("Scheduled: note."),
}


LIST_TARGET = "activity-list"


@dataclass(frozen=True)
class NextPrompt:
    """The prompt "What's next for <deal>?" after an activity was done (docs/domain/deals.md): the
    quick due dates schedule the follow-up at once; "No next step" just closes it."""

    deal: Deal
    kind: str
    back: str  # "deal" (the deal panel) or "activities" (the list)
    dismiss_url: str
    choices: list[QuickDue]

    @property
    def element_id(self) -> str:
        return f"next-prompt-{self.deal.pk}"

    @property
    def kinds(self):
        return ActivityKind.choices


def next_prompt(deal: Deal, kind: str, back: str, dismiss_url: str) -> NextPrompt | None:
    """The prompt, for an open deal only: a closed deal needs no next step."""
    if deal.status != Deal.Status.OPEN:
        return None
    return NextPrompt(
        deal=deal, kind=kind, back=back, dismiss_url=dismiss_url, choices=quick_due_choices()
    )


def _show_prompt(response: HttpResponse, prompt: NextPrompt | None, swap: str) -> HttpResponse:
    """Bring the prompt into view after the swap (it may sit above the button tapped)."""
    if prompt is None:
        return response
    return reswap(response, f"{swap} show:#{prompt.element_id}:top")


def _list_url(request: HttpRequest) -> str:
    query = ActivityFilters.from_query(page_params(request)).as_query()
    url = reverse("activities")
    return f"{url}?{urlencode(query)}" if query else url


def _list_answer(
    request: HttpRequest, message: str, *, level: str = "success", status: int = 200, **extra
) -> HttpResponse:
    """The "My activities" list (the htmx target ``activity-list``) with a message."""
    context = _activities_context(request, ActivityFilters.from_query(page_params(request)))
    context |= {"message": message, "level": level, **extra}
    return render(request, "deals/activities.html#list", context, status=status)


def _activities_context(request: HttpRequest, filters: ActivityFilters) -> dict:
    counts, tab, rows = my_activities(user=request.user, filters=filters)
    return {
        "filters": filters,
        "counts": counts,
        "tab": tab,
        "activities": rows[:200],
        "kinds": ActivityKind.choices,
        "tabs": [
            ("overdue", _("Overdue")),
            ("today", _("Today")),
            ("upcoming", _("Upcoming")),
            ("done", pgettext("activities", "Done")),
        ],
        "nav_section": "activities",
    }


@login_required
@require_GET
def activities_page(request: HttpRequest) -> HttpResponse:
    filters = ActivityFilters.from_query(request.GET)
    context = _activities_context(request, filters)
    if request.htmx and request.htmx.target == "activity-list":
        return render(request, "deals/activities.html#list", context)
    return render(request, "deals/activities.html", context)


@login_required
@require_POST
def deal_activity_new(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Log or schedule an activity from the deal page, or schedule the follow-up from the
    "What's next?" prompt on the deal page or on "My activities" (its htmx target says which;
    without htmx, ``back``)."""
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    to_list = (
        request.htmx.target == LIST_TARGET
        if request.htmx
        else request.POST.get("back") == "activities"
    )
    form = ActivityForm(request.POST, prefix_id=f"deal-{deal.pk}-activity")
    if not form.is_valid():
        if to_list:
            return _list_reply(request, form_error_text(form), level="error", status=422)
        return panel_response(
            request,
            deal.pk,
            message=form_error_text(form),
            level="error",
            status=422,
            activity_form=form,
        )
    data = form.cleaned_data
    done = data["action"] == "log"
    try:
        activity = activity_log(
            user=request.user,
            deal=deal,
            kind=data["kind"],
            subject=data["subject"],
            done=done,
            done_at=data["done_at"],
            due_at=data["due_at"],
            notes=data["notes"],
        )
    except (ValidationError, DomainError) as error:
        if to_list:
            text = error.message if isinstance(error, DomainError) else " ".join(error.messages)
            return _list_reply(request, text, level="error", status=422)
        return refusal_answer(request, deal, error, page=Page.DEAL)
    text = str((LOGGED if done else SCHEDULED)[activity.kind])
    if to_list:
        return _list_reply(request, text)
    if not done or not request.htmx:
        return panel_response(request, deal.pk, message=text)
    # A call or note just logged: ask for the next step, as after marking one done.
    prompt = next_prompt(deal, activity.kind, "deal", reverse("deal-detail", args=[deal.pk]))
    response = panel_response(request, deal.pk, message=text, next_prompt=prompt)
    return _show_prompt(response, prompt, "outerHTML")


def _list_reply(request: HttpRequest, message: str, *, level: str = "success", status: int = 200):
    if request.htmx:
        return _list_answer(request, message, level=level, status=status)
    (messages.success if level == "success" else messages.error)(request, message)
    return redirect("activities")


def _visible_activity(request: HttpRequest, activity_id: int) -> Activity:
    activity = (
        visible_through_deal(Activity.objects.select_related("deal"), request.user)
        .filter(pk=activity_id)
        .first()
    )
    if activity is None:
        raise Http404(_("No such activity."))
    return activity


def _after_change(
    request: HttpRequest,
    activity: Activity,
    message: str,
    error: str = "",
    *,
    prompt_next: bool = False,
):
    """Answer the deal panel when the change came from it, else the activities list; after
    an activity was done, with the "What's next?" prompt (``prompt_next``)."""
    deal_id = activity.deal_id
    if request.htmx and request.htmx.target == panel_id(deal_id):
        if error:
            return panel_response(request, deal_id, message=error, level="error", status=403)
        prompt = None
        if prompt_next:
            url = reverse("deal-detail", args=[deal_id])
            prompt = next_prompt(activity.deal, activity.kind, "deal", url)
        response = panel_response(request, deal_id, message=message, next_prompt=prompt)
        return _show_prompt(response, prompt, "outerHTML")
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, message)
        if request.POST.get("back") == "deal":
            return redirect("deal-detail", deal_id=deal_id)
        return redirect("activities")
    if error:
        return _list_answer(request, error, level="error", status=403)
    prompt = None
    if prompt_next:
        prompt = next_prompt(activity.deal, activity.kind, "activities", _list_url(request))
    response = _list_answer(request, message, next_prompt=prompt)
    return _show_prompt(response, prompt, "innerHTML")


@login_required
@require_POST
def activity_done(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _visible_activity(request, activity_id)
    done = request.POST.get("done") == "1"
    try:
        activity_set_done(user=request.user, activity=activity, done=done)
    except DomainError as error:
        return _after_change(request, activity, "", error=error.message)
    what = {"subject": activity.subject}
    text = _("“%(subject)s” done.") if done else _("“%(subject)s” reopened.")
    return _after_change(request, activity, text % what, prompt_next=done)


@login_required
@require_POST
def activity_remove(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _visible_activity(request, activity_id)
    try:
        activity_delete(user=request.user, activity=activity)
    except DomainError as error:
        return _after_change(request, activity, "", error=error.message)
    return _after_change(
        request, activity, _("“%(subject)s” deleted.") % {"subject": activity.subject}
    )
