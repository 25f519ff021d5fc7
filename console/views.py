"""The admin pages that span apps: the overview, a user with their open work and its
handover on deactivation, and the removal of a stage with its deals.

They sit in this top app because they read or write deals and pipelines beside accounts;
pages that need one app only stay in that app (docs/architecture-layers.md).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required
from accounts.forms import DeactivateForm, UserDetailsForm, UserRoleForm, apply_service_errors
from accounts.models import AuditEntry, Team, User
from accounts.selectors import audit_history
from accounts.services import user_set_role, user_update
from deals.models import LostReason
from deals.services.handover import user_offboard, user_open_work
from deals.services.stage_removal import stage_remove
from pipelinecrm.exceptions import DomainError
from pipelinecrm.responses import form_page
from pipelines.forms import StageRemoveForm
from pipelines.models import Pipeline, Stage


def _context(section: str, **extra) -> dict:
    return {"nav_section": "admin", "admin_section": section, **extra}


@admin_required
@require_GET
def admin_home(request: HttpRequest) -> HttpResponse:
    counts = {
        "pipelines": Pipeline.objects.filter(is_active=True).count(),
        "lost_reasons": LostReason.objects.filter(is_active=True).count(),
        "users": User.objects.filter(is_active=True).count(),
        "teams": Team.objects.count(),
    }
    history = list(AuditEntry.objects.select_related("actor")[:10])
    return render(
        request, "console/admin_home.html", _context("home", counts=counts, history=history)
    )


# -- A user and their open work ----------------------------------------------------------


def _user_page(request: HttpRequest, user: User, *, status: int = 200, **forms) -> HttpResponse:
    context = _context(
        "users",
        person=user,
        details_form=forms.get("details_form")
        or UserDetailsForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
            }
        ),
        role_form=forms.get("role_form") or UserRoleForm(initial={"role": user.role}),
        memberships=user.memberships.select_related("team").order_by("team__name"),
        open_work=user_open_work(user=user),
        history=audit_history(user),
        refusal=forms.get("refusal", ""),
    )
    return render(request, "console/user_detail.html", context, status=status)


@admin_required
@require_GET
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_page(request, get_object_or_404(User, pk=user_id))


@admin_required
@require_POST
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    form = UserDetailsForm(request.POST)
    if form.is_valid():
        try:
            user_update(actor=request.user, user=user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{user.username}: details saved.")
            return redirect("crm_admin:user", user_id=user.pk)
    return _user_page(request, user, status=422, details_form=form)


@admin_required
@require_POST
def user_role(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    form = UserRoleForm(request.POST)
    if not form.is_valid():
        return _user_page(request, user, status=422, role_form=form)
    try:
        user = user_set_role(actor=request.user, user=user, role=form.cleaned_data["role"])
    except (ValidationError, DomainError) as error:
        text = error.message if isinstance(error, DomainError) else " ".join(error.messages)
        return _user_page(request, user, status=400, role_form=form, refusal=text)
    messages.success(request, f"{user.display_name} is now {user.get_role_display().lower()}.")
    return redirect("crm_admin:user", user_id=user.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def user_deactivate_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """Ask who takes over the user's open deals and open activities, then deactivate."""
    user = get_object_or_404(User, pk=user_id, is_active=True)
    form = DeactivateForm(request.POST if request.method == "POST" else None, leaving=user)
    context = _context("users", person=user, form=form, open_work=user_open_work(user=user))
    if request.method == "POST" and form.is_valid():
        try:
            result = user_offboard(actor=request.user, user=user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        except DomainError as error:
            context["refusal"] = error.message
        else:
            handed = []
            if result.deals:
                handed.append(f"{result.deals} open deal{'s' if result.deals != 1 else ''}")
            if result.activities:
                count = result.activities
                handed.append(f"{count} open activit{'ies' if count != 1 else 'y'}")
            suffix = f" {' and '.join(handed)} handed over." if handed else ""
            messages.success(request, f"{user.display_name} can no longer sign in.{suffix}")
            return redirect("crm_admin:user", user_id=user.pk)
    return form_page(request, "console/user_deactivate.html", context)


# -- A stage and its deals ---------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def stage_remove_view(request: HttpRequest, stage_id: int) -> HttpResponse:
    """Ask where the stage's open deals go, then remove it (archive if history refers to it)."""
    stage = get_object_or_404(
        Stage.objects.select_related("pipeline"), pk=stage_id, is_archived=False
    )
    pipeline = stage.pipeline
    form = StageRemoveForm(request.POST if request.method == "POST" else None, stage=stage)
    context = _context(
        "pipelines",
        pipeline=pipeline,
        stage=stage,
        open_deals=stage.deals.filter(status="open").count(),
        form=form,
    )
    if request.method == "POST" and form.is_valid():
        try:
            removal = stage_remove(
                actor=request.user, stage=stage, target=form.cleaned_data["target"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except DomainError as error:
            context["refusal"] = error.message
        else:
            moved = (
                f" Its {removal.deals_moved} open deal{'s' if removal.deals_moved != 1 else ''} "
                f"moved to “{removal.target.name}”."
                if removal.deals_moved
                else ""
            )
            done = "archived (deals' history refers to it)" if removal.archived else "deleted"
            messages.success(request, f"Stage “{removal.stage_name}” {done}.{moved}")
            return redirect("crm_admin:pipeline", pipeline_id=pipeline.pk)
    return form_page(request, "console/stage_remove.html", context)
