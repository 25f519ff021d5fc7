"""The one mapping from a refusal to an htmx answer, for the page that asked.

The deal action views (actions.py, and the deal page's edit and checklist views) hand
what a service raised, or a form that did not validate, to this module. Each kind of
refusal has one answer per page (docs/deal-actions.md):

- ``ChecklistIncomplete`` (409): the checklist dialog, whose form completes the missing
  items and retries in one request; over the board in ``#dialog-slot``, over the deal
  page in its sub-dialog. A deal page without JavaScript gets the message.
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
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.forms import form_error_text
from deals.access import can_override
from deals.models import Deal
from deals.views.board_answers import conflict_response, message_response
from deals.views.panel import form_errors, panel_response
from pipelinecrm.exceptions import ChecklistIncomplete, DomainError, VersionConflict
from pipelines.models import Stage

# Sent by the checklist dialog's own form: the retry of a refused move or win.
CHECKLIST_RETRY = "checklist_retry"


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
) -> HttpResponse:
    """Answer a refusal of ``action`` on ``deal``; ``move`` is what a retry re-sends."""
    if isinstance(error, ChecklistIncomplete):
        return _checklist_dialog(request, deal, error, page=page, action=action, move=move or {})
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
) -> HttpResponse:
    """The checklist dialog of a refused move or win (409). Its form posts to the board's
    move (or won) view, which completes the items and moves in one step."""
    if page is Page.DEAL and not request.htmx:
        return panel_response(request, deal.pk, message=refusal.message, level="error")
    if request.POST.get(CHECKLIST_RETRY):
        return _still_missing(request, deal, refusal)
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


def _still_missing(request: HttpRequest, deal: Deal, refusal: ChecklistIncomplete) -> HttpResponse:
    """The checklist dialog's retry, refused again (a required box left unticked): the
    dialog stays open as the user left it and names what is still not done
    (docs/domain/moves.md), which the refusal lists after applying its completions."""
    context = {"deal": deal, "still_missing": refusal.missing}
    response = render(request, "deals/board.html#move-refused-status", context, status=409)
    return reswap(retarget(response, f"#refused-status-{deal.pk}"), "innerHTML")
