"""Deal actions: move, won, lost, reopen — one view each, for the board and the deal page.

Each view validates its input, calls one service, and answers for the page the request
came from (``page``, set by the URL it posted to in deals/urls.py): the board's cards,
column heads and toasts (board_answers.py), or the deal panel (panel.py). Refusals go
through the one mapping in refusals.py (docs/deal-actions.md).
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from deals.access import can_edit, deal_get_visible_or_404, edit_forbidden
from deals.forms import CompletionForm, LostForm, MoveForm, VersionForm
from deals.forms_completion import dialog_auto_id
from deals.models import Deal, LostReason
from deals.selectors.board import board_card, moved_card
from deals.selectors.cards import card_activity_flags
from deals.services.completion import completable_items, requirements_completer
from deals.services.moves import (
    MoveResult,
    deal_mark_lost,
    deal_mark_won,
    deal_move,
    deal_reopen,
)
from deals.views.board_answers import (
    closed_dialog_response,
    column_heads_response,
    from_board,
    refreshed_columns_response,
)
from deals.views.panel import panel_response
from deals.views.refusals import CompletionInvalid, Page, invalid_form_answer, refusal_answer
from pipelinecrm.exceptions import DomainError
from pipelinecrm.responses import form_page
from pipelines.models import ChecklistItem, Pipeline, Stage

By = ChecklistItem.SatisfiedBy

DEALS = Deal.objects.select_related("stage", "pipeline", "owner", "organization")


def _after_move(request: HttpRequest, result: MoveResult, read: Deal, source: str, completed: bool):
    """A drag already shows the card in place: refresh it and, after a change of stage,
    the totals of both columns.
    A dialog move re-renders the affected columns. Over the deal page the dialog just
    closes."""
    if not from_board(request):
        return closed_dialog_response()
    stages = [result.to_stage]
    if result.changed_stage or source != "drag":
        stages.insert(0, result.from_stage)
    if source != "drag":
        return refreshed_columns_response(request, stages[0].pipeline, stages)
    if completed:  # the dialog's completions change the card's badges: read it again
        card = board_card(deal_id=result.deal.pk, user=request.user)
    else:
        card = moved_card(moved=result.deal, read=read)
    if not result.changed_stage:
        # A reorder changes no column's totals: the heads on the page stay right, and what
        # others change reaches them through the board's poll as it would without this
        # drag (docs/performance/move-request.md).
        return render(request, "deals/board.html#moved", {"card": card, "heads": []})
    return column_heads_response(request, stages, {"card": card}, "deals/board.html#moved")


def _after_close(request: HttpRequest, deal: Deal, text: str, page: Page) -> HttpResponse:
    """Won or lost: the card leaves the board and its column's totals follow; the deal
    page shows its panel as it is now."""
    if page is Page.DEAL:
        return panel_response(request, deal.pk, message=text)
    if not from_board(request):
        return closed_dialog_response()
    context = {"deal": deal, "message": text}
    response = column_heads_response(request, [deal.stage], context, "deals/board.html#closed")
    return trigger_client_event(response, "close-dialog", {})


@login_required
@require_http_methods(["GET", "POST"])
def deal_move_view(request: HttpRequest, deal_id: int, page: Page = Page.BOARD) -> HttpResponse:
    """A drag, the "Move to…" dialog, the checklist dialog's retry, or the deal page's
    stage path: all through ``deal_move``."""
    # The card's activity badges come with the deal: a drag's answer needs no re-read.
    cards = DEALS.annotate(**card_activity_flags())
    deal = deal_get_visible_or_404(request.user, deal_id, cards)
    if request.method == "GET":
        return _move_dialog(request, deal)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return invalid_form_answer(request, deal, form, page=page)
    move = form.cleaned_data
    completion = None
    try:
        completion, complete = _completion(request, deal, entering_stage_id=move["stage"])
        result = deal_move(
            user=request.user,
            deal=deal,
            stage=move["stage"],
            version=move["version"],
            position=move["position"],
            before=move["before"],
            after=move["after"],
            pipeline=move["pipeline"],
            override_reason=move["override_reason"],
            complete=complete,
        )
    except (ValidationError, DomainError) as error:
        return refusal_answer(
            request, deal, error, page=page, action="move", move=move, completion=completion
        )
    if page is Page.DEAL:
        return panel_response(
            request, deal.pk, message=_("Moved to %(stage)s.") % {"stage": result.to_stage.name}
        )
    source = move["source"] or "dialog"
    return _after_move(request, result, deal, source, completed=complete is not None)


def _move_dialog(request: HttpRequest, deal: Deal) -> HttpResponse:
    """The keyboard-friendly "Move to…" dialog: every stage of every active pipeline."""
    if not can_edit(request.user, deal):
        refusal = edit_forbidden("move")
        return refusal_answer(request, deal, refusal, page=Page.BOARD)
    pipelines = Pipeline.objects.filter(Q(pk=deal.pipeline_id) | Q(is_active=True)).order_by("name")
    stages = (
        Stage.objects.filter(pipeline__in=pipelines, is_archived=False)
        .select_related("pipeline")
        .order_by("pipeline__name", "pipeline_id", "position")
    )
    context = {
        "deal": deal,
        "stages": stages,
        "lost_reasons": LostReason.objects.filter(is_active=True),
    }
    response = render(request, "deals/board.html#move-dialog", context)
    return reswap(retarget(response, "#dialog-slot"), "innerHTML")


@login_required
@require_POST
def deal_won_view(request: HttpRequest, deal_id: int, page: Page = Page.BOARD) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEALS)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return invalid_form_answer(request, deal, form, page=page)
    data = form.cleaned_data
    completion = None
    try:
        completion, complete = _completion(request, deal)
        won = deal_mark_won(
            user=request.user,
            deal=deal,
            version=data["version"],
            override_reason=data["override_reason"],
            complete=complete,
        )
    except (ValidationError, DomainError) as error:
        move = {"version": data["version"]}
        return refusal_answer(
            request, deal, error, page=page, action="won", move=move, completion=completion
        )
    if page is Page.DEAL:
        text = _("Marked as won. 🎉")
    else:
        text = _("“%(title)s” marked as won. 🎉") % {"title": won.title}
    return _after_close(request, won, text, page)


@login_required
@require_http_methods(["GET", "POST"])
def deal_lost_view(request: HttpRequest, deal_id: int, page: Page = Page.BOARD) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEALS)
    form = LostForm(request.POST or None, initial={"version": deal.version})
    if request.method == "POST" and form.is_valid():
        try:
            lost = deal_mark_lost(
                user=request.user,
                deal=deal,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, DomainError) as error:
            return refusal_answer(request, deal, error, page=page, action="lost")
        if page is Page.DEAL:
            text = _("Marked as lost.")
        else:
            text = _("“%(title)s” marked as lost.") % {"title": lost.title}
        return _after_close(request, lost, text, page)
    if request.method == "POST" and page is Page.DEAL:
        return invalid_form_answer(request, deal, form, page=page, status=422, lost_form=form)
    if request.method == "GET" and not can_edit(request.user, deal):
        refusal = edit_forbidden()
        return refusal_answer(request, deal, refusal, page=page, action="lost")
    response = form_page(request, "deals/board.html#lost-dialog", {"deal": deal, "form": form})
    return reswap(retarget(response, "#dialog-slot"), "innerHTML")


@login_required
@require_POST
def deal_reopen_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Reopen a won or lost deal: only the deal page offers it (closed deals are not on
    the board)."""
    deal = deal_get_visible_or_404(request.user, deal_id, DEALS)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return invalid_form_answer(request, deal, form, page=Page.DEAL)
    try:
        reopened = deal_reopen(user=request.user, deal=deal, version=form.cleaned_data["version"])
    except (ValidationError, DomainError) as error:
        return refusal_answer(request, deal, error, page=Page.DEAL, action="reopen")
    return panel_response(
        request, deal.pk, message=_("Reopened in %(stage)s.") % {"stage": reopened.stage.name}
    )


def _completion(
    request: HttpRequest, deal: Deal, entering_stage_id: int | None = None
) -> tuple[CompletionForm, Callable | None]:
    """The dialog's completions as a ``complete`` step for the service (None: nothing to
    complete), with the form that read them; raises ``CompletionInvalid``. The dialog
    names the custom fields it shows (``custom_field``), so a checkbox left unticked or
    a multiple choice left empty is read as such only for those."""
    checks = request.POST.getlist("check")
    shown = set(request.POST.getlist("custom_field"))
    items = _completable_items(deal, entering_stage_id) if checks or shown else []
    form = CompletionForm(
        request.POST,
        manual_item_ids=[item.pk for item in items if item.satisfied_by == By.MANUAL],
        custom_items=[
            item
            for item in items
            if item.satisfied_by == By.CUSTOM_FIELD and item.custom_field.key in shown
        ],
        stored=deal.custom_fields,
        auto_id=dialog_auto_id(deal),
    )
    if not form.is_valid():
        raise CompletionInvalid(form)
    data = form.cleaned_data
    fields = {"value": data["value"], "expected_close_date": data["expected_close_date"]}
    custom_fields = form.custom_values(only_changed=True)
    if not (
        data["check"]
        or any(v is not None for v in fields.values())
        or custom_fields
        or data["organization_name"]
        or data["person_name"]
        or data["activity_kind"]
    ):
        return form, None
    return form, requirements_completer(
        user=request.user,
        check_item_ids=data["check"],
        fields=fields,
        custom_fields=custom_fields,
        organization_name=data["organization_name"],
        person_name=data["person_name"],
        activity_kind=data["activity_kind"],
        activity_subject=data["activity_subject"],
    )


def _completable_items(deal: Deal, entering_stage_id: int | None) -> list[ChecklistItem]:
    """Items the dialog may tick or fill in: those the move (or the win) needs; the
    service checks them again under its locks."""
    entering = None
    if entering_stage_id is not None:
        entering = Stage.objects.filter(pk=entering_stage_id).first()
        if entering is None:
            return []  # the move itself answers that the stage does not exist
    return completable_items(deal=deal, entering=entering)
