"""The one mapping from a refusal to an htmx answer, for the page that asked.

The deal action views (actions.py, and the deal page's edit and checklist views) hand
what a service raised, or a form that did not validate, to this module. Each kind of
refusal has one answer per page (docs/deal-actions.md):

- ``ChecklistIncomplete`` (409): the checklist dialog, whose form completes the missing
  items and retries in one request; over the board in ``#dialog-slot``, over the deal
  page in its sub-dialog. A deal page without JavaScript gets the message. The dialog's
  retry, refused again or with a value its input refuses (``CompletionInvalid``, 400),
  answers inside the open dialog: what is still missing, and each custom field's input
  again with the value typed and its error (docs/domain/checklists.md).
- ``VersionConflict`` (409): the board refreshes the card and says so; the deal page
  re-renders its panel with a warning.
- ``Forbidden`` (403), ``InvalidRequest`` and Django's ``ValidationError`` (400): the
  sentence, in the board's toast or at the top of the panel.

The API maps the same exceptions to JSON in pipelinecrm/api.py.
"""

import enum

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.forms import form_error_text
from deals.access import can_override
from deals.checklist_rules import custom_field_rule
from deals.forms import CompletionForm
from deals.forms_completion import dialog_auto_id
from deals.models import Deal
from deals.views.board_answers import conflict_response, message_response
from deals.views.panel import form_errors, panel_response
from pipelinecrm.exceptions import ChecklistIncomplete, DomainError, VersionConflict
from pipelines.models import ChecklistItem, Stage

# Sent by the checklist dialog's own form: the retry of a refused move or win.
CHECKLIST_RETRY = "checklist_retry"


class CompletionInvalid(ValidationError):
    """The checklist dialog's completions did not validate; ``form`` has the errors."""

    def __init__(self, form: CompletionForm) -> None:
        super().__init__(form_error_text(form))
        self.form = form


class Page(enum.Enum):
    """The page an action was sent from, named by the URL it posted to (deals/urls.py)."""

    BOARD = "board"  # the board and its dialogs, also when the deal page borrows one
    DEAL = "deal"  # the deal page's own forms: its panel, full page or over the board


def refusal_answer(
    request: HttpRequest,
    deal: Deal,
    error: ValidationError | DomainError,
    *,
    page: Page,
    action: str = "move",
    move: dict | None = None,
    completion: CompletionForm | None = None,
) -> HttpResponse:
    """Answer a refusal of ``action`` on ``deal``; ``move`` is what a retry re-sends and
    ``completion`` what the dialog's retry completed."""
    if isinstance(error, ChecklistIncomplete):
        return _checklist_dialog(
            request, deal, error, page=page, action=action, move=move or {}, completion=completion
        )
    if isinstance(error, CompletionInvalid) and request.POST.get(CHECKLIST_RETRY):
        return _invalid_completion(request, deal, error.form)
    if isinstance(error, VersionConflict):
        if page is Page.DEAL:
            return panel_response(
                request, deal.pk, message=error.message, level="warning", status=409
            )
        return conflict_response(request, deal, error.message)
    if isinstance(error, ValidationError):
        text, status = " ".join(error.messages), 400
    else:
        text, status = error.message, error.status
    if page is Page.DEAL:
        return panel_response(request, deal.pk, message=text, level="error", status=status)
    return message_response(request, text, status=status)


def invalid_form_answer(
    request: HttpRequest,
    deal: Deal,
    form: forms.Form,
    *,
    page: Page,
    status: int = 400,
    **panel_context,
) -> HttpResponse:
    """Bad input: each field's error, in the toast or at the top of the panel (which
    shows ``panel_context``, e.g. the form as the user filled it)."""
    if page is Page.DEAL:
        return panel_response(
            request,
            deal.pk,
            message=form_errors(form),
            level="error",
            status=status,
            **panel_context,
        )
    return message_response(request, form_error_text(form), status=status)


def _checklist_dialog(
    request: HttpRequest,
    deal: Deal,
    refusal: ChecklistIncomplete,
    *,
    page: Page,
    action: str,
    move: dict,
    completion: CompletionForm | None,
) -> HttpResponse:
    """The checklist dialog of a refused move or win (409). Its form posts to the board's
    move (or won) view, which completes the items and moves in one step. A custom-field
    item comes with the input of its field (deals/forms_completion.py)."""
    if page is Page.DEAL and not request.htmx:
        return panel_response(request, deal.pk, message=refusal.message, level="error")
    if request.POST.get(CHECKLIST_RETRY):
        return _still_missing(request, deal, refusal, completion)
    form = CompletionForm(
        custom_items=refusal.missing, stored=deal.custom_fields, auto_id=dialog_auto_id(deal)
    )
    for item in refusal.missing:
        if item.satisfied_by == ChecklistItem.SatisfiedBy.CUSTOM_FIELD:
            item.rule = custom_field_rule(item)
            item.custom_input = form.custom_item_input(item)
    context = {
        "deal": deal,
        "missing": refusal.missing,
        "action": action,
        "move": move,
        "can_override": can_override(request.user, deal),
        "target_stage": Stage.objects.filter(pk=move.get("stage")).first(),
    }
    response = render(request, "deals/board.html#move-refused", context, status=409)
    if page is Page.DEAL:
        return reswap(retarget(response, f"#deal-subdialog-{deal.pk}"), "innerHTML")
    response = trigger_client_event(response, "move-refused", {"deal": deal.pk})
    return reswap(retarget(response, "#dialog-slot"), "innerHTML")


def _still_missing(
    request: HttpRequest,
    deal: Deal,
    refusal: ChecklistIncomplete,
    completion: CompletionForm | None,
) -> HttpResponse:
    """The checklist dialog's retry, refused again (a required box left unticked, a value
    that does not meet its item's rule): the dialog stays open as the user left it and
    names what is still not done (docs/domain/moves.md), which the refusal lists after
    applying its completions. Each custom field's input comes again, out of band, with
    the value typed and, while an item naming it is missing, the rule as its error."""
    inputs = []
    if completion is not None:
        rules = {}
        for item in refusal.missing:
            if item.satisfied_by == ChecklistItem.SatisfiedBy.CUSTOM_FIELD:
                rules.setdefault(item.custom_field.key, custom_field_rule(item))
        for key, name in completion.custom_input_names():
            if key in rules and not completion.has_error(name):
                completion.add_error(name, _("Still needed: %(rule)s.") % {"rule": rules[key]})
        inputs = completion.custom_item_inputs()
    context = {"deal": deal, "still_missing": refusal.missing, "custom_inputs": inputs}
    response = render(request, "deals/board.html#move-refused-status", context, status=409)
    return reswap(retarget(response, f"#refused-status-{deal.pk}"), "innerHTML")


def _invalid_completion(request: HttpRequest, deal: Deal, form: CompletionForm) -> HttpResponse:
    """The checklist dialog's retry with a value its input refuses (400): nothing was
    tried; the dialog stays open with the errors, each custom field's by its input."""
    errors = [
        f"{form.fields[name].label}: {error}"
        if name in form.fields and form.fields[name].label
        else error
        for name, messages in form.errors.items()
        for error in messages
    ]
    context = {
        "deal": deal,
        "invalid": errors,
        "custom_inputs": form.custom_item_inputs(),
    }
    response = render(request, "deals/board.html#move-refused-status", context, status=400)
    return reswap(retarget(response, f"#refused-status-{deal.pk}"), "innerHTML")
