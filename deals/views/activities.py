"""Activities: logged or scheduled on the deal page, completed and undone there or on
"My activities" (overdue / today / upcoming / done, in the company time zone)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import form_error_text
from deals.access import deal_get_visible_or_404, visible_through_deal
from deals.forms_deal import ActivityForm
from deals.models import Activity
from deals.selectors.activities import ActivityFilters, my_activities
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
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    form = ActivityForm(request.POST, prefix_id=f"deal-{deal.pk}-activity")
    if not form.is_valid():
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
        return refusal_answer(request, deal, error, page=Page.DEAL)
    texts = LOGGED if done else SCHEDULED
    return panel_response(request, deal.pk, message=str(texts[activity.kind]))


def _visible_activity(request: HttpRequest, activity_id: int) -> Activity:
    activity = (
        visible_through_deal(Activity.objects.select_related("deal"), request.user)
        .filter(pk=activity_id)
        .first()
    )
    if activity is None:
        raise Http404(_("No such activity."))
    return activity


def _after_change(request: HttpRequest, activity: Activity, message: str, error: str = ""):
    """Answer the deal panel when the change came from it, else the activities list."""
    deal_id = activity.deal_id
    if request.htmx and request.htmx.target == panel_id(deal_id):
        if error:
            return panel_response(request, deal_id, message=error, level="error", status=403)
        return panel_response(request, deal_id, message=message)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, message)
        if request.POST.get("back") == "deal":
            return redirect("deal-detail", deal_id=deal_id)
        return redirect("activities")
    context = _activities_context(request, ActivityFilters.from_query(page_params(request)))
    context |= {"message": error or message, "level": "error" if error else "success"}
    return render(request, "deals/activities.html#list", context, status=403 if error else 200)


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
    return _after_change(request, activity, text % what)


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
