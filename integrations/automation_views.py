"""The automation designer: a stage's automations, under the stage's admin page
(docs/domain/webhooks.md, "Designer"; docs/domain/admin-pages.md).

The stage page loads the list with htmx (``stage_automations``); without JavaScript its
link opens the same list as a page of its own. Adding and editing are pages with a form;
switching on and off and deleting are plain posts. Every post answers with a redirect
back where it came from (``back``: the stage page or the list page), so nothing here
needs JavaScript.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required
from accounts.forms import apply_service_errors
from integrations.automation_forms import AutomationForm
from integrations.automation_services import (
    automation_create,
    automation_delete,
    automation_set_active,
    automation_update,
)
from integrations.automations import automation_name
from integrations.models import StageAutomation
from pipelinecrm.responses import form_page
from pipelines.models import Stage


def _stage(stage_id: int) -> Stage:
    return get_object_or_404(
        Stage.objects.select_related("pipeline"), pk=stage_id, is_archived=False
    )


def _automation(stage: Stage, automation_id: int) -> StageAutomation:
    return get_object_or_404(
        StageAutomation.objects.select_related("stage", "subscription"),
        pk=automation_id,
        stage=stage,
    )


def _back(request: HttpRequest, stage: Stage) -> str:
    """Where a form returns to: the stage page (``back=stage``) or the list page."""
    if (request.POST.get("back") or request.GET.get("back")) == "stage":
        return reverse("crm_admin:stage", args=[stage.pk]) + "#automations"
    return reverse("crm_admin:stage-automations", args=[stage.pk])


def _list_context(stage: Stage, back: str) -> dict:
    automations = list(
        StageAutomation.objects.filter(stage=stage)
        .select_related("stage", "subscription")
        .order_by("position", "id")
    )
    for automation in automations:
        automation.name = automation_name(automation)
    return {
        "nav_section": "admin",
        "admin_section": "pipelines",
        "pipeline": stage.pipeline,
        "stage": stage,
        "automations": automations,
        "back": back,
    }


@admin_required
@require_GET
def stage_automations(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The stage's automations: the stage page's section (htmx) or a page of its own."""
    stage = _stage(stage_id)
    if request.htmx:
        return render(request, "integrations/_automations.html", _list_context(stage, "stage"))
    return render(request, "integrations/automation_list.html", _list_context(stage, "list"))


def _form_page(request, stage, form, automation=None) -> HttpResponse:
    context = _list_context(stage, request.POST.get("back") or request.GET.get("back", ""))
    context |= {"form": form, "automation": automation}
    return form_page(request, "integrations/automation_form.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def automation_create_view(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _stage(stage_id)
    if request.method == "GET":
        initial = {"action": request.GET.get("action")} if request.GET.get("action") else {}
        return _form_page(request, stage, AutomationForm(initial=initial))
    form = AutomationForm(request.POST)
    if form.is_valid():
        try:
            automation_create(actor=request.user, stage=stage, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Automation added."))
            return redirect(_back(request, stage))
    return _form_page(request, stage, form)


@admin_required
@require_http_methods(["GET", "POST"])
def automation_edit_view(request: HttpRequest, stage_id: int, automation_id: int) -> HttpResponse:
    stage = _stage(stage_id)
    automation = _automation(stage, automation_id)
    if request.method == "GET":
        return _form_page(request, stage, AutomationForm.for_automation(automation), automation)
    form = AutomationForm(request.POST)
    if form.is_valid():
        try:
            automation_update(actor=request.user, automation=automation, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Automation saved."))
            return redirect(_back(request, stage))
    return _form_page(request, stage, form, automation)


@admin_required
@require_POST
def automation_toggle_view(request: HttpRequest, stage_id: int, automation_id: int) -> HttpResponse:
    stage = _stage(stage_id)
    automation = _automation(stage, automation_id)
    active = request.POST.get("active") == "1"
    automation_set_active(actor=request.user, automation=automation, active=active)
    messages.success(
        request, _("Automation switched on.") if active else _("Automation switched off.")
    )
    return redirect(_back(request, stage))


@admin_required
@require_POST
def automation_delete_view(request: HttpRequest, stage_id: int, automation_id: int) -> HttpResponse:
    stage = _stage(stage_id)
    automation = _automation(stage, automation_id)
    automation_delete(actor=request.user, automation=automation)
    messages.success(request, _("Automation deleted."))
    return redirect(_back(request, stage))
