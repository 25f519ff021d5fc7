"""Admin pages for pipelines: the list, a pipeline's designer (its settings and its
stages) and one page per stage (its settings and its checklists) (docs/domain/admin-pages.md).

Designer actions answer htmx requests with the redrawn region (the stage list, the stage
settings, the checklists or one checklist item's row), plus the history and a status line
out of band, and plain form posts with a redirect, so the pages work without JavaScript
too. Refusals: a form's errors next to its fields (422), anything else as the status line
(400/409). Removing a stage moves deals, so that page lives in the console app
(console/views.py).
"""

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required
from accounts.forms import apply_service_errors, form_error_text
from accounts.selectors import audit_history
from pipelinecrm.exceptions import DomainError
from pipelinecrm.responses import form_page
from pipelines.admin_answers import moved_message, run_change
from pipelines.custom_fields import condition_sentence
from pipelines.forms import (
    ChecklistItemForm,
    NewChecklistItemForm,
    PipelineForm,
    ShiftForm,
    StageForm,
    StageOrderForm,
)
from pipelines.models import ChecklistItem, CustomField, Pipeline, Stage
from pipelines.selectors import (
    archived_stages,
    custom_fields_for,
    designer_stage,
    designer_stages,
    pipelines_for_admin,
)
from pipelines.services import (
    checklist_item_create,
    checklist_item_remove,
    checklist_item_shift,
    checklist_item_update,
    pipeline_create,
    pipeline_delete,
    pipeline_duplicate,
    pipeline_set_active,
    pipeline_update,
    stage_create,
    stage_shift,
    stage_update,
    stages_reorder,
)

TEMPLATE = "pipelines/designer.html"
STAGE_TEMPLATE = "pipelines/stage.html"
ITEM_ROW = "pipelines/_item_row.html"


def _history(pipeline: Pipeline) -> list:
    return audit_history(
        pipeline,
        Stage.objects.filter(pipeline=pipeline),
        ChecklistItem.objects.filter(stage__pipeline=pipeline),
    )


def _designer_context(pipeline: Pipeline, forms: dict[str, Form] | None = None) -> dict:
    """A pipeline's designer: its settings and its stages, compact (each stage's settings
    and checklists are on the stage's own page). ``forms`` replaces the default (unbound)
    form of the one the admin just submitted, errors and all."""
    forms = forms or {}
    return {
        "nav_section": "admin",
        "admin_section": "pipelines",
        "pipeline": pipeline,
        "stages": designer_stages(pipeline=pipeline),
        "archived_stages": archived_stages(pipeline=pipeline),
        "new_stage_form": forms.get("new-stage") or StageForm(prefix="new-stage"),
        "settings_form": forms.get("settings") or PipelineForm.for_pipeline(pipeline),
        "custom_fields": custom_fields_for(pipeline.pk),
        "history": _history(pipeline),
    }


def _answer(
    request: HttpRequest,
    pipeline: Pipeline,
    message: str,
    *,
    level: str = "success",
    status: int = 200,
    forms: dict[str, Form] | None = None,
) -> HttpResponse:
    if request.htmx:
        context = _designer_context(pipeline, forms) | {"message": message, "level": level}
        return render(request, f"{TEMPLATE}#designer-update", context, status=status)
    if forms:
        context = _designer_context(pipeline, forms) | {"message": message, "level": level}
        return render(request, TEMPLATE, context, status=status)
    messages.add_message(request, messages.SUCCESS if status == 200 else messages.ERROR, message)
    return redirect("crm_admin:pipeline", pipeline_id=pipeline.pk)


# -- Pipelines -------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def pipeline_list(request: HttpRequest) -> HttpResponse:
    """Active and archived pipelines; the form at the bottom creates one."""
    form = PipelineForm(
        request.POST if request.method == "POST" else None,
        initial={
            "visibility": Pipeline.Visibility.TEAM,
            "forward_jumps": Pipeline.ForwardJumps.STRICT,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = pipeline_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Pipeline “%(pipeline)s” created: now add its stages.")
                % {"pipeline": pipeline.name},
            )
            return redirect("crm_admin:pipeline", pipeline_id=pipeline.pk)
    pipelines = list(pipelines_for_admin())
    context = {
        "nav_section": "admin",
        "admin_section": "pipelines",
        "active": [p for p in pipelines if p.is_active],
        "archived": [p for p in pipelines if not p.is_active],
        "form": form,
        "history": audit_history(Pipeline.objects.all(), limit=20),
    }
    return form_page(request, "pipelines/pipeline_list.html", context)


@admin_required
@require_GET
def pipeline_designer(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    return render(request, TEMPLATE, _designer_context(pipeline))


@admin_required
@require_POST
def pipeline_edit(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    form = PipelineForm(request.POST)

    def action() -> str:
        pipeline_update(actor=request.user, pipeline=pipeline, **form.cleaned_data)
        return _("Pipeline saved.")

    return run_change(partial(_answer, request, pipeline), action, form=form, form_key="settings")


def _pipeline_action(request: HttpRequest, pipeline_id: int, action) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    try:
        message, destination = action(pipeline)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("crm_admin:pipeline", pipeline_id=pipeline.pk)
    messages.success(request, message)
    return destination


def _pipeline_set_active(request: HttpRequest, pipeline_id: int, *, active: bool):
    def action(pipeline):
        pipeline_set_active(actor=request.user, pipeline=pipeline, active=active)
        if active:
            message = _("“%(pipeline)s” restored: it is back on the boards.")
        else:
            message = _("“%(pipeline)s” archived: it no longer shows on the boards.")
        return (
            message % {"pipeline": pipeline.name},
            redirect("crm_admin:pipeline", pipeline_id=pipeline.pk),
        )

    return _pipeline_action(request, pipeline_id, action)


@admin_required
@require_POST
def pipeline_archive(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    return _pipeline_set_active(request, pipeline_id, active=False)


@admin_required
@require_POST
def pipeline_restore(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    return _pipeline_set_active(request, pipeline_id, active=True)


@admin_required
@require_POST
def pipeline_duplicate_view(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    def action(pipeline):
        copy = pipeline_duplicate(actor=request.user, pipeline=pipeline)
        return (
            _("“%(copy)s” created with the stages and checklists of “%(pipeline)s”.")
            % {"copy": copy.name, "pipeline": pipeline.name},
            redirect("crm_admin:pipeline", pipeline_id=copy.pk),
        )

    return _pipeline_action(request, pipeline_id, action)


@admin_required
@require_POST
def pipeline_delete_view(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    def action(pipeline):
        pipeline_delete(actor=request.user, pipeline=pipeline)
        return (
            _("“%(pipeline)s” deleted.") % {"pipeline": pipeline.name},
            redirect("crm_admin:pipelines"),
        )

    return _pipeline_action(request, pipeline_id, action)


# -- Stages ----------------------------------------------------------------------------


def _active_stage(stage_id: int) -> Stage:
    return get_object_or_404(
        Stage.objects.select_related("pipeline"), pk=stage_id, is_archived=False
    )


def _item_custom_fields(stage: Stage, items: list[ChecklistItem]) -> list[CustomField]:
    """The custom fields an item of ``stage`` may name (archived ones too: an item may
    name one already), each item given its field and ``rule``, the condition in words."""
    fields = custom_fields_for(stage.pipeline_id, include_archived=True)
    by_id = {field.pk: field for field in fields}
    for item in items:
        field = by_id.get(item.custom_field_id)
        if field is not None:
            item.custom_field = field
            item.rule = condition_sentence(field, item.condition, item.condition_value)
    return fields


def _stage_context(
    stage_id: int,
    forms: dict[str, Form] | None = None,
    *,
    editing: int | None = None,
    history: bool = True,
) -> dict:
    """One stage's page: its settings form, its entry and exit items (``item.form`` set on
    the one row shown as a form: ``editing``, or the one whose save was refused) and an
    add row at the end of each list. ``forms`` replaces a default form by the submitted
    one, errors and all."""
    forms = forms or {}
    stage = designer_stage(stage_id=stage_id)
    if stage is None:
        raise Http404
    custom_fields = _item_custom_fields(stage, stage.active_items)
    for item in stage.active_items:
        item.form = forms.get(f"item-{item.pk}")
        if item.form is None and item.pk == editing:
            item.form = ChecklistItemForm.for_item(item, custom_fields=custom_fields)
    new_item = forms.get(f"new-item-{stage.pk}")
    posted_kind = new_item.data.get(f"new-item-{stage.pk}-kind") if new_item else None
    if posted_kind not in ChecklistItem.Kind.values:
        posted_kind = ChecklistItem.Kind.ENTRY
    lists = []
    for kind, items in (
        (ChecklistItem.Kind.ENTRY, stage.entry_items),
        (ChecklistItem.Kind.EXIT, stage.exit_items),
    ):
        form = new_item if new_item and kind == posted_kind else None
        lists.append(
            {
                "kind": kind,
                "items": items,
                "form": form
                or NewChecklistItemForm.for_list(stage, kind, custom_fields=custom_fields),
            }
        )
    context = {
        "nav_section": "admin",
        "admin_section": "pipelines",
        "pipeline": stage.pipeline,
        "stage": stage,
        "lists": lists,
        "settings_form": forms.get(f"stage-{stage.pk}") or StageForm.for_stage(stage),
    }
    if history:
        context["history"] = audit_history(stage, ChecklistItem.objects.filter(stage_id=stage.pk))
    return context


def _stage_answer(
    request: HttpRequest,
    stage: Stage,
    region: str,
    message: str,
    *,
    level: str = "success",
    status: int = 200,
    forms: dict[str, Form] | None = None,
    item_id: int | None = None,
) -> HttpResponse:
    """The stage page's answer: htmx gets ``region`` (with the status line and history
    out of band); a plain post the page again (errors) or a redirect to it."""
    if request.htmx or forms:
        context = _stage_context(stage.pk, forms) | {"message": message, "level": level}
        if item_id is not None:
            items = context["stage"].active_items
            context["item"] = next((i for i in items if i.pk == item_id), None)
            if context["item"] is None:  # archived meanwhile: redraw both lists
                region = "checklists-update"
        template = f"{STAGE_TEMPLATE}#{region}" if request.htmx else STAGE_TEMPLATE
        return render(request, template, context, status=status)
    messages.add_message(request, messages.SUCCESS if status == 200 else messages.ERROR, message)
    return redirect("crm_admin:stage", stage_id=stage.pk)


@admin_required
@require_GET
def stage_designer(request: HttpRequest, stage_id: int) -> HttpResponse:
    """One stage's page: its settings and its entry and exit checklists."""
    return render(request, STAGE_TEMPLATE, _stage_context(stage_id))


@admin_required
@require_POST
def stage_create_view(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    form = StageForm(request.POST, prefix="new-stage")

    def action() -> str:
        stage = stage_create(actor=request.user, pipeline=pipeline, **form.cleaned_data)
        return _("Stage “%(stage)s” added.") % {"stage": stage.name}

    return run_change(partial(_answer, request, pipeline), action, form=form, form_key="new-stage")


@admin_required
@require_POST
def stage_edit(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _active_stage(stage_id)
    form = StageForm(request.POST, prefix=f"stage-{stage.pk}")

    def action() -> str:
        saved = stage_update(actor=request.user, stage=stage, **form.cleaned_data)
        return _("Stage “%(stage)s” saved.") % {"stage": saved.name}

    answer = partial(_stage_answer, request, stage, "settings-update")
    return run_change(answer, action, form=form, form_key=f"stage-{stage.pk}")


@admin_required
@require_POST
def stage_shift_view(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = _active_stage(stage_id)
    form = ShiftForm(request.POST)
    if not form.is_valid():
        return _answer(request, stage.pipeline, form_error_text(form), level="error", status=400)

    def action() -> str:
        stage_shift(actor=request.user, stage=stage, offset=form.offset)
        return moved_message(stage.name, form.cleaned_data["direction"])

    return run_change(partial(_answer, request, stage.pipeline), action)


@admin_required
@require_POST
def stages_reorder_view(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """The drag: SortableJS posts every active stage id in the new order."""
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id)
    form = StageOrderForm(request.POST)
    if not form.is_valid():
        return _answer(
            request, pipeline, _("That order could not be read."), level="error", status=400
        )

    def action() -> str:
        stages_reorder(actor=request.user, pipeline=pipeline, stage_ids=form.stage_ids)
        return _("Stage order saved.")

    return run_change(partial(_answer, request, pipeline), action)


# -- Checklist items -------------------------------------------------------------------


def _active_item(item_id: int) -> ChecklistItem:
    return get_object_or_404(
        ChecklistItem.objects.select_related("stage__pipeline"),
        pk=item_id,
        is_archived=False,
        stage__is_archived=False,
    )


def _checklists_answer(request: HttpRequest, stage: Stage) -> Callable[..., HttpResponse]:
    return partial(_stage_answer, request, stage, "checklists-update")


@admin_required
@require_POST
def item_create_view(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The add row at the end of the entry or the exit list of a stage's page."""
    stage = _active_stage(stage_id)
    key = f"new-item-{stage.pk}"
    kind = request.POST.get(f"{key}-kind", "")
    form = NewChecklistItemForm(
        request.POST,
        prefix=key,
        auto_id=f"id_{kind if kind in ChecklistItem.Kind.values else 'entry'}_%s",
        custom_fields=custom_fields_for(stage.pipeline_id),
    )

    def action() -> str:
        item = checklist_item_create(actor=request.user, stage=stage, **form.cleaned_data)
        if item.kind == ChecklistItem.Kind.ENTRY:
            message = _("Entry item “%(item)s” added to %(stage)s.")
        else:
            message = _("Exit item “%(item)s” added to %(stage)s.")
        return message % {"item": item.text, "stage": stage.name}

    return run_change(_checklists_answer(request, stage), action, form=form, form_key=key)


@admin_required
@require_GET
def item_row(request: HttpRequest, item_id: int) -> HttpResponse:
    """An item's row in display mode (Cancel on its inline form); without htmx, the stage
    page with every row in display mode."""
    item = _active_item(item_id)
    if not request.htmx:
        return render(request, STAGE_TEMPLATE, _stage_context(item.stage_id))
    context = _stage_context(item.stage_id, history=False)
    context["item"] = next((i for i in context["stage"].active_items if i.pk == item.pk), None)
    if context["item"] is None:
        raise Http404
    return render(request, ITEM_ROW, context)


@admin_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    """GET: the item's row as an inline form (htmx), or the stage page with that row open
    (a plain link). POST: save it; htmx gets the row back in display mode, or the form
    with its errors."""
    item = _active_item(item_id)
    key = f"item-{item.pk}"
    custom_fields = _item_custom_fields(item.stage, [item])
    if request.method == "GET":
        if request.htmx:
            item.form = ChecklistItemForm.for_item(item, custom_fields=custom_fields)
            return render(request, ITEM_ROW, {"item": item, "stage": item.stage})
        return render(request, STAGE_TEMPLATE, _stage_context(item.stage_id, editing=item.pk))
    form = ChecklistItemForm(request.POST, prefix=key, custom_fields=custom_fields, item=item)

    def action() -> str:
        saved = checklist_item_update(actor=request.user, item=item, **form.cleaned_data)
        return _("Checklist item “%(item)s” saved.") % {"item": saved.text}

    answer = partial(_stage_answer, request, item.stage, "item-update", item_id=item.pk)
    return run_change(answer, action, form=form, form_key=key)


@admin_required
@require_POST
def item_shift_view(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _active_item(item_id)
    answer = _checklists_answer(request, item.stage)
    form = ShiftForm(request.POST)
    if not form.is_valid():
        return answer(form_error_text(form), level="error", status=400)

    def action() -> str:
        checklist_item_shift(actor=request.user, item=item, offset=form.offset)
        return moved_message(item.text, form.cleaned_data["direction"])

    return run_change(answer, action)


@admin_required
@require_POST
def item_remove_view(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _active_item(item_id)

    def action() -> str:
        outcome = checklist_item_remove(actor=request.user, item=item)
        if outcome == "archived":
            return _("“%(item)s” archived: deals used it, so it is kept for reports.") % {
                "item": item.text
            }
        return _("“%(item)s” deleted.") % {"item": item.text}

    return run_change(_checklists_answer(request, item.stage), action)
