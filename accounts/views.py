"""Admin pages for users and teams, schedules and the audit log.

A user's own page shows their open work and deactivating hands it over, which touches
deals: those pages live in the console app (console/views.py).
"""

from datetime import timedelta

from celery.schedules import crontab
from celery.schedules import schedule as interval_schedule
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required
from accounts.forms import (
    TeamForm,
    UserCreateForm,
    apply_service_errors,
)
from accounts.models import AuditEntry, Team, TeamMembership, User
from accounts.selectors import audit_history, team_people_ids
from accounts.services import (
    UserAccess,
    team_create,
    team_delete,
    team_update,
    user_create,
    user_invite,
    user_reactivate,
)
from pipelinecrm.exceptions import DomainError
from pipelinecrm.responses import form_page

AUDIT_PAGE_SIZE = 50


def _context(section: str, **extra) -> dict:
    return {"nav_section": "admin", "admin_section": section, **extra}


# -- Users -------------------------------------------------------------------------------


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@admin_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    memberships = Prefetch("memberships", queryset=TeamMembership.objects.select_related("team"))
    users = User.objects.prefetch_related(memberships).order_by(
        "-is_active", "first_name", "last_name", "username"
    )
    history = audit_history(User.objects.all(), limit=20)
    return render(
        request, "accounts/user_list.html", _context("users", users=users, history=history)
    )


@admin_required
@require_http_methods(["GET", "POST"])
def user_create_view(request: HttpRequest) -> HttpResponse:
    """Create a user; the answer shows a one-time password once, or says the invite went."""
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = user_create(
                actor=request.user, site_url=_site_url(request), **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            context = _context(
                "users",
                created=created.user,
                one_time_password=created.one_time_password,
                invited=form.cleaned_data["access"] == UserAccess.INVITE,
            )
            # Not cached anywhere: the password exists only in this response.
            response = render(request, "accounts/user_created.html", context)
            response["Cache-Control"] = "no-store"
            return response
    return form_page(request, "accounts/user_create.html", _context("users", form=form))


@admin_required
@require_POST
def user_invite_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    try:
        user_invite(actor=request.user, user=user, site_url=_site_url(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("A link to choose a password was sent to %(email)s.") % {"email": user.email},
        )
    return redirect("crm_admin:user", user_id=user.pk)


@admin_required
@require_POST
def user_reactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    try:
        user_reactivate(actor=request.user, user=user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s can sign in again.") % {"name": user.display_name})
    return redirect("crm_admin:user", user_id=user.pk)


# -- Teams -------------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = team_create(
                actor=request.user,
                name=data["name"],
                manager_ids=[user.pk for user in data["managers"]],
                member_ids=[user.pk for user in data["members"]],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return redirect("crm_admin:teams")
    memberships = Prefetch(
        "memberships", queryset=TeamMembership.objects.select_related("user").order_by("user")
    )
    context = _context(
        "teams",
        teams=Team.objects.prefetch_related(memberships),
        form=form,
        history=audit_history(Team.objects.all(), limit=20),
    )
    return form_page(request, "accounts/team_list.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    """Rename the team and choose its managers and members."""
    team = get_object_or_404(Team, pk=team_id)
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        initial={"name": team.name, **team_people_ids(team)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team_update(
                actor=request.user,
                team=team,
                name=data["name"],
                manager_ids=[user.pk for user in data["managers"]],
                member_ids=[user.pk for user in data["members"]],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": data["name"]})
            return redirect("crm_admin:team", team_id=team.pk)
    context = _context("teams", team=team, form=form, history=audit_history(team))
    return form_page(request, "accounts/team_detail.html", context)


@admin_required
@require_POST
def team_delete_view(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    team_delete(actor=request.user, team=team)
    messages.success(request, _("Team “%(name)s” deleted.") % {"name": team.name})
    return redirect("crm_admin:teams")


# -- Background job schedules ------------------------------------------------------------


def _every(seconds: float) -> str:
    units = (
        (86400, lambda n: ngettext("every day", "every %(count)s days", n)),
        (3600, lambda n: ngettext("every hour", "every %(count)s hours", n)),
        (60, lambda n: ngettext("every minute", "every %(count)s minutes", n)),
    )
    for size, words in units:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return words(count) % {"count": count}
    if seconds == int(seconds):
        count = int(seconds)
        return ngettext("every second", "every %(count)s seconds", count) % {"count": count}
    return _("every %(count)s seconds") % {"count": f"{seconds:g}"}


def describe_schedule(schedule) -> str:
    """A beat schedule in words: an interval, or a crontab's five fields."""
    if isinstance(schedule, timedelta):
        return _every(schedule.total_seconds())
    if isinstance(schedule, int | float):
        return _every(schedule)
    if isinstance(schedule, crontab):
        fields = (
            schedule._orig_minute,
            schedule._orig_hour,
            schedule._orig_day_of_month,
            schedule._orig_month_of_year,
            schedule._orig_day_of_week,
        )
        return "cron " + " ".join(str(field) for field in fields)
    if isinstance(schedule, interval_schedule):
        return _every(schedule.run_every.total_seconds())
    return str(schedule)


@admin_required
@require_GET
def schedules(request: HttpRequest) -> HttpResponse:
    """The periodic jobs Celery beat runs, read from settings (docs/domain/stalls-and-forecast.md).

    Schedules are configured by environment variables (django-celery-beat does not support
    Django 6.1); ``BEAT_SCHEDULE_ENV_VARS`` in settings names the variable of each entry.
    """
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}
    variables = getattr(settings, "BEAT_SCHEDULE_ENV_VARS", {})
    jobs = [
        {
            "name": name,
            "task": entry.get("task", ""),
            "every": describe_schedule(entry.get("schedule")),
            "expires": (entry.get("options") or {}).get("expires"),
            "variable": variables.get(name, ""),
        }
        for name, entry in sorted(schedule.items())
    ]
    return render(request, "accounts/schedules.html", _context("schedules", jobs=jobs))


# -- Audit log ---------------------------------------------------------------------------


def _object_type_label(label_lower: str) -> str:
    """``deals.lostreason`` as its model's name in the reader's language ("Lost reason")."""
    try:
        return capfirst(apps.get_model(label_lower)._meta.verbose_name)
    except (LookupError, ValueError):
        return label_lower


@admin_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.select_related("actor")
    object_type = request.GET.get("type", "")
    if object_type:
        entries = entries.filter(object_type=object_type)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    types = [
        (value, _object_type_label(value))
        for value in AuditEntry.objects.order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    ]
    context = _context(
        "audit", page=page, history=page.object_list, types=types, object_type=object_type
    )
    return render(request, "accounts/audit_log.html", context)
