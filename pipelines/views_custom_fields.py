"""Admin pages for custom fields (docs/domain/custom-fields.md, docs/domain/admin-pages.md):
the list of definitions, for every pipeline or filtered by one, with the form that creates
a field; and one page per field with its settings, its options and its removal.

As on the stage designer, htmx requests get the redrawn region with the status line and
the history out of band, plain posts a redirect (or the page with the form's errors), so
everything works without JavaScript. Refusals are the status line (400) or the form's
errors next to its fields (422).
"""

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required
from accounts.forms import apply_service_errors, form_error_text
from accounts.selectors import audit_history
from pipelinecrm.exceptions import DomainError
from pipelinecrm.responses import form_page
from pipelines.admin_answers import moved_message, run_change
from pipelines.custom_field_selectors import custom_field_page, custom_fields_for_admin
from pipelines.forms import ShiftForm
from pipelines.forms_custom_fields import CustomFieldCreateForm, CustomFieldSettingsForm, OptionForm
from pipelines.models import CustomField, CustomFieldOption, Pipeline
from pipelines.services import (
    custom_field_archive,
    custom_field_create,
    custom_field_delete,
    custom_field_option_add,
    custom_field_option_archive,
    custom_field_option_rename,
    custom_field_option_restore,
    custom_field_option_shift,
    custom_field_restore,
    custom_field_shift,
    custom_field_update,
)

LIST_TEMPLATE = "pipelines/custom_fields.html"
FIELD_TEMPLATE = "pipelines/custom_field.html"


def _history() -> list:
    return audit_history(CustomField.objects.all(), CustomFieldOption.objects.all(), limit=20)


# -- The list ------------------------------------------------------------------------------


def _filter_pipeline(value: str | None) -> Pipeline | None:
    """The pipeline of the list's filter (``?pipeline=``); None for every field."""
    if not value or not value.isdigit():
        return None
    return Pipeline.objects.filter(pk=int(value)).first()


def _list_context(pipeline: Pipeline | None, form: Form | None = None) -> dict:
    fields = custom_fields_for_admin(pipeline_id=pipeline.pk if pipeline else None)
    return {
        "nav_section": "admin",
        "admin_section": "custom-fields",
        "filter_pipeline": pipeline,
        "pipelines": Pipeline.objects.order_by("-is_active", "name", "pk"),
        "fields": [field for field in fields if not field.is_archived],
        "archived_fields": [field for field in fields if field.is_archived],
        "form": form or CustomFieldCreateForm(initial={"pipeline": pipeline}),
        "history": _history(),
    }


def _list_url(pipeline: Pipeline | None) -> str:
    url = reverse("crm_admin:custom-fields")
    return f"{url}?pipeline={pipeline.pk}" if pipeline else url


@admin_required
@require_http_methods(["GET", "POST"])
def custom_field_list(request: HttpRequest) -> HttpResponse:
    """The fields (``?pipeline=``: those on that pipeline's deals); the form at the
    bottom creates one."""
    pipeline = _filter_pipeline(request.GET.get("pipeline"))
    if request.method == "GET":
        return render(request, LIST_TEMPLATE, _list_context(pipeline))
    form = CustomFieldCreateForm(request.POST)
    if form.is_valid():
        try:
            field = custom_field_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Field “%(field)s” created: deals of its pipelines show it from now on.")
                % {"field": field.name},
            )
            return redirect("crm_admin:custom-field", field_id=field.pk)
    return form_page(request, LIST_TEMPLATE, _list_context(pipeline, form))


@admin_required
@require_POST
def custom_field_shift_view(request: HttpRequest, field_id: int) -> HttpResponse:
    """Move up / Move down in the list as shown (every field, or one pipeline's)."""
    field = get_object_or_404(CustomField, pk=field_id)
    pipeline = _filter_pipeline(request.POST.get("pipeline"))
    form = ShiftForm(request.POST)

    def answer(message: str, *, level: str = "success", status: int = 200, forms=None):
        if request.htmx:
            context = _list_context(pipeline) | {"message": message, "level": level}
            return render(request, f"{LIST_TEMPLATE}#list-update", context, status=status)
        messages.add_message(
            request, messages.SUCCESS if status == 200 else messages.ERROR, message
        )
        return redirect(_list_url(pipeline))

    if not form.is_valid():
        return answer(form_error_text(form), level="error", status=400)

    def action() -> str:
        custom_field_shift(actor=request.user, field=field, offset=form.offset, pipeline=pipeline)
        return moved_message(field.name, form.cleaned_data["direction"])

    return run_change(answer, action)


# -- One field -----------------------------------------------------------------------------


def _field_context(field_id: int, forms: dict[str, Form] | None = None) -> dict:
    """A field's page: its settings form, its options (each with its rename form) and
    an add form, where it is used, and its history. ``forms`` replaces a default form by
    the submitted one, errors and all."""
    forms = forms or {}
    field = custom_field_page(field_id=field_id)
    if field is None:
        raise Http404
    for option in field.all_options:
        option.form = forms.get(f"option-{option.pk}") or OptionForm(
            prefix=f"option-{option.pk}", initial={"label": option.label}
        )
    return {
        "nav_section": "admin",
        "admin_section": "custom-fields",
        "field": field,
        "settings_form": forms.get("settings") or CustomFieldSettingsForm.for_field(field),
        "new_option_form": forms.get("new-option") or OptionForm(prefix="new-option"),
        "history": audit_history(field, CustomFieldOption.objects.filter(field_id=field.pk)),
    }


def _field_answer(
    request: HttpRequest,
    field_id: int,
    region: str,
    message: str,
    *,
    level: str = "success",
    status: int = 200,
    forms: dict[str, Form] | None = None,
) -> HttpResponse:
    """htmx gets ``region`` (status line and history out of band); a plain post the page
    again (errors) or a redirect to it."""
    if request.htmx or forms:
        context = _field_context(field_id, forms) | {"message": message, "level": level}
        template = f"{FIELD_TEMPLATE}#{region}" if request.htmx else FIELD_TEMPLATE
        return render(request, template, context, status=status)
    messages.add_message(request, messages.SUCCESS if status == 200 else messages.ERROR, message)
    return redirect("crm_admin:custom-field", field_id=field_id)


@admin_required
@require_GET
def custom_field_detail(request: HttpRequest, field_id: int) -> HttpResponse:
    return render(request, FIELD_TEMPLATE, _field_context(field_id))


@admin_required
@require_POST
def custom_field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=field_id)
    form = CustomFieldSettingsForm(request.POST, prefix="settings")

    def action() -> str:
        saved = custom_field_update(actor=request.user, field=field, **form.cleaned_data)
        return _("Field “%(field)s” saved.") % {"field": saved.name}

    answer = partial(_field_answer, request, field.pk, "settings-update")
    return run_change(answer, action, form=form, form_key="settings")


def _field_action(request: HttpRequest, field_id: int, action) -> HttpResponse:
    """Archive, restore or delete: a plain form post, answered with a redirect and the
    message (or the refusal) on the page it leads to."""
    field = get_object_or_404(CustomField, pk=field_id)
    try:
        message, destination = action(field)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("crm_admin:custom-field", field_id=field.pk)
    messages.success(request, message)
    return destination


@admin_required
@require_POST
def custom_field_archive_view(request: HttpRequest, field_id: int) -> HttpResponse:
    def action(field):
        custom_field_archive(actor=request.user, field=field)
        return (
            _("“%(field)s” archived: it is hidden everywhere and deals keep its values.")
            % {"field": field.name},
            redirect("crm_admin:custom-field", field_id=field.pk),
        )

    return _field_action(request, field_id, action)


@admin_required
@require_POST
def custom_field_restore_view(request: HttpRequest, field_id: int) -> HttpResponse:
    def action(field):
        custom_field_restore(actor=request.user, field=field)
        return (
            _("“%(field)s” restored, with the values deals kept.") % {"field": field.name},
            redirect("crm_admin:custom-field", field_id=field.pk),
        )

    return _field_action(request, field_id, action)


@admin_required
@require_POST
def custom_field_delete_view(request: HttpRequest, field_id: int) -> HttpResponse:
    def action(field):
        custom_field_delete(actor=request.user, field=field)
        return (
            _("“%(field)s” deleted.") % {"field": field.name},
            redirect(_list_url(field.pipeline)),
        )

    return _field_action(request, field_id, action)


# -- Options -------------------------------------------------------------------------------


def _options_answer(request: HttpRequest, field_id: int) -> Callable[..., HttpResponse]:
    return partial(_field_answer, request, field_id, "options-update")


@admin_required
@require_POST
def option_create_view(request: HttpRequest, field_id: int) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=field_id)
    form = OptionForm(request.POST, prefix="new-option")

    def action() -> str:
        option = custom_field_option_add(
            actor=request.user, field=field, label=form.cleaned_data["label"]
        )
        return _("Option “%(option)s” added.") % {"option": option.label}

    return run_change(_options_answer(request, field.pk), action, form=form, form_key="new-option")


@admin_required
@require_POST
def option_edit_view(request: HttpRequest, option_id: int) -> HttpResponse:
    option = get_object_or_404(CustomFieldOption, pk=option_id)
    key = f"option-{option.pk}"
    form = OptionForm(request.POST, prefix=key)

    def action() -> str:
        renamed = custom_field_option_rename(
            actor=request.user, option=option, label=form.cleaned_data["label"]
        )
        return _("Option renamed to “%(option)s”.") % {"option": renamed.label}

    return run_change(_options_answer(request, option.field_id), action, form=form, form_key=key)


@admin_required
@require_POST
def option_shift_view(request: HttpRequest, option_id: int) -> HttpResponse:
    option = get_object_or_404(CustomFieldOption, pk=option_id)
    answer = _options_answer(request, option.field_id)
    form = ShiftForm(request.POST)
    if not form.is_valid():
        return answer(form_error_text(form), level="error", status=400)

    def action() -> str:
        custom_field_option_shift(actor=request.user, option=option, offset=form.offset)
        return moved_message(option.label, form.cleaned_data["direction"])

    return run_change(answer, action)


@admin_required
@require_POST
def option_archive_view(request: HttpRequest, option_id: int) -> HttpResponse:
    option = get_object_or_404(CustomFieldOption, pk=option_id)

    def action() -> str:
        custom_field_option_archive(actor=request.user, option=option)
        return _("“%(option)s” is no longer offered; deals that hold it keep it.") % {
            "option": option.label
        }

    return run_change(_options_answer(request, option.field_id), action)


@admin_required
@require_POST
def option_restore_view(request: HttpRequest, option_id: int) -> HttpResponse:
    option = get_object_or_404(CustomFieldOption, pk=option_id)

    def action() -> str:
        custom_field_option_restore(actor=request.user, option=option)
        return _("“%(option)s” is offered again.") % {"option": option.label}

    return run_change(_options_answer(request, option.field_id), action)
