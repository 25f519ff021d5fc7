"""The admin pages that span apps: the overview, a user with their open work and its
handover on deactivation, and the removal of a stage with its deals.

They sit in this top app because they read or write deals and pipelines beside accounts;
pages that need one app only stay in that app (docs/architecture-layers.md).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required
from accounts.forms import DeactivateForm, UserDetailsForm, UserRoleForm, apply_service_errors
from accounts.models import AuditEntry, Team, User
from accounts.selectors import audit_history
from accounts.services import user_set_role, user_update
from deals.models import LostReason
from deals.services.handover import user_offboard, user_open_work
from deals.services.stage_removal import stage_remove
from integrations.models import WebhookSubscription
from pipelinecrm.exceptions import DomainError
from pipelinecrm.responses import form_page
from pipelines.forms import StageRemoveForm
from pipelines.models import CustomField, Pipeline, Stage


def _context(section: str, **extra) -> dict:
    return {"nav_section": "admin", "admin_section": section, **extra}


@admin_required
@require_GET
def admin_home(request: HttpRequest) -> HttpResponse:
    counts = {
        "pipelines": Pipeline.objects.filter(is_active=True).count(),
        "custom_fields": CustomField.objects.filter(is_archived=False).count(),
        "lost_reasons": LostReason.objects.filter(is_active=True).count(),
        "users": User.objects.filter(is_active=True).count(),
        "teams": Team.objects.count(),
        "webhooks": WebhookSubscription.objects.filter(is_active=True).count(),
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
            messages.success(request, _("%(user)s: details saved.") % {"user": user.username})
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
    messages.success(
        request,
        # Translators: "Anna Berg is now manager." The role is in lower case.
        _("%(name)s is now %(role)s.")
        % {"name": user.display_name, "role": user.get_role_display().lower()},
    )
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
            messages.success(request, _deactivated_message(user, result.deals, result.activities))
            return redirect("crm_admin:user", user_id=user.pk)
    return form_page(request, "console/user_deactivate.html", context)


def _deactivated_message(user: User, deals: int, activities: int) -> str:
    """What the admin reads after a deactivation: one sentence per fact."""
    sentences = [_("%(name)s can no longer sign in.") % {"name": user.display_name}]
    if deals and activities:
        deals_text = ngettext("%(count)s open deal", "%(count)s open deals", deals) % {
            "count": deals
        }
        activities_text = ngettext(
            "%(count)s open activity", "%(count)s open activities", activities
        ) % {"count": activities}
        sentences.append(
            _("%(deals)s and %(activities)s handed over.")
            % {"deals": deals_text, "activities": activities_text}
        )
    elif deals:
        sentences.append(
            ngettext("%(count)s open deal handed over.", "%(count)s open deals handed over.", deals)
            % {"count": deals}
        )
    elif activities:
        sentences.append(
            ngettext(
                "%(count)s open activity handed over.",
                "%(count)s open activities handed over.",
                activities,
            )
            % {"count": activities}
        )
    return " ".join(sentences)


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
            if removal.archived:
                message = _("Stage “%(stage)s” archived (deals' history refers to it).")
            else:
                message = _("Stage “%(stage)s” deleted.")
            message %= {"stage": removal.stage_name}
            if removal.deals_moved:
                moved = ngettext(
                    "Its %(count)s open deal moved to “%(target)s”.",
                    "Its %(count)s open deals moved to “%(target)s”.",
                    removal.deals_moved,
                ) % {"count": removal.deals_moved, "target": removal.target.name}
                message = f"{message} {moved}"
            messages.success(request, message)
            return redirect("crm_admin:pipeline", pipeline_id=pipeline.pk)
    return form_page(request, "console/stage_remove.html", context)
