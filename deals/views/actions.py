"""Board actions over htmx: move (drag, dialog, "Move to…"), won, lost.

Each view validates its input, calls one service and maps the service's refusals to a
fragment: missing checklist items open the completion dialog (409), a version conflict
refreshes the card (409), a forbidden action (403) or bad input (400) shows a message.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.forms import form_error_text
from deals.access import can_edit, can_override, deal_get_visible_or_404
from deals.forms import CompletionForm, LostForm, MoveForm, VersionForm
from deals.models import Deal, LostReason
from deals.selectors.board import board_card
from deals.services.completion import requirements_completer, tickable_items
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move
from deals.views.board import (
    closed_dialog_response,
    column_heads_response,
    from_board,
    refreshed_columns_response,
)
from pipelinecrm.exceptions import (
    ChecklistIncomplete,
    DomainError,
    InvalidRequest,
    VersionConflict,
)
from pipelinecrm.responses import form_page
from pipelines.models import ChecklistItem, Pipeline, Stage

DEALS = Deal.objects.select_related("stage", "pipeline", "owner", "organization")


def message_response(request: HttpRequest, text: str, status: int, level: str = "error"):
    response = render(
        request, "deals/board.html#message", {"message": text, "level": level}, status=status
    )
    return reswap(retarget(response, "#toast"), "innerHTML")


def refused_dialog(
    request: HttpRequest,
    deal: Deal,
    missing: list[ChecklistItem],
    *,
    action: str,
    move: dict,
) -> HttpResponse:
    """The checklist dialog of a refused move or win (409): its form completes the missing
    items and retries in one request. The board and the deal page each say where it goes."""
    context = {
        "deal": deal,
        "missing": missing,
        "action": action,
        "move": move,
        "can_override": can_override(request.user, deal),
        "target_stage": Stage.objects.filter(pk=move.get("stage")).first(),
    }
    return render(request, "deals/board.html#move-refused", context, status=409)


def _refused_dialog(
    request: HttpRequest, deal: Deal, missing: list[ChecklistItem], *, action: str, move: dict
) -> HttpResponse:
    response = refused_dialog(request, deal, missing, action=action, move=move)
    response = trigger_client_event(response, "move-refused", {"deal": deal.pk})
    return reswap(retarget(response, "#dialog-slot"), "innerHTML")


def _conflict_response(request: HttpRequest, deal: Deal, message: str) -> HttpResponse:
    """Refresh the card that changed under the user and say so."""
    card = board_card(deal_id=deal.pk, user=request.user)
    response = render(
        request,
        "deals/board.html#conflict",
        {"message": message, "card": card, "deal": deal},
        status=409,
    )
    response = trigger_client_event(response, "board-changed", {})
    return reswap(retarget(response, "#toast"), "innerHTML")


def _refusal_response(
    request: HttpRequest, deal: Deal, error: ValidationError | DomainError
) -> HttpResponse:
    """A conflict refreshes the card; any other refusal explains itself in a message."""
    if isinstance(error, VersionConflict):
        return _conflict_response(request, deal, error.message)
    if isinstance(error, ValidationError):
        return message_response(request, " ".join(error.messages), status=400)
    return message_response(request, error.message, status=error.status)


def _neighbour_position(
    *, request: HttpRequest, deal: Deal, stage_id: int, before: int | None, after: int | None
) -> int | None:
    """Turn the neighbouring cards the board sends into an index in the whole column."""
    neighbour_id = before or after
    if neighbour_id is None:
        return None
    neighbour = (
        Deal.objects.filter(pk=neighbour_id, stage_id=stage_id, status=Deal.Status.OPEN)
        .values("position")
        .first()
    )
    if neighbour is None:
        raise InvalidRequest("The board changed meanwhile; it has been refreshed.")
    position = neighbour["position"] if before else neighbour["position"] + 1
    same_column_moving_down = (
        deal.stage_id == stage_id and deal.position is not None and deal.position < position
    )
    return position - 1 if same_column_moving_down else position


def _completion(request: HttpRequest, deal: Deal, entering_stage_id: int | None = None):
    """The dialog's completions as a ``complete`` step for the service, or None."""
    checks = request.POST.getlist("check")
    manual_ids = _manual_item_ids(deal, entering_stage_id) if checks else []
    form = CompletionForm(request.POST, manual_item_ids=manual_ids)
    if not form.is_valid():
        raise ValidationError(form_error_text(form))
    data = form.cleaned_data
    fields = {"value": data["value"], "expected_close_date": data["expected_close_date"]}
    if not (
        data["check"]
        or any(v is not None for v in fields.values())
        or data["organization_name"]
        or data["person_name"]
        or data["activity_kind"]
    ):
        return None
    return requirements_completer(
        user=request.user,
        check_item_ids=data["check"],
        fields=fields,
        organization_name=data["organization_name"],
        person_name=data["person_name"],
        activity_kind=data["activity_kind"],
        activity_subject=data["activity_subject"],
    )


def _manual_item_ids(deal: Deal, entering_stage_id: int | None) -> list[int]:
    """Manual items the dialog may tick: those the move (or the win) needs; the service
    checks them again under its locks."""
    entering = None
    if entering_stage_id is not None:
        entering = Stage.objects.filter(pk=entering_stage_id).first()
        if entering is None:
            return []  # the move itself answers that the stage does not exist
    return [item.pk for item in tickable_items(deal=deal, entering=entering)]


def _after_move(request: HttpRequest, deal: Deal, stages: list[Stage], source: str):
    """A drag already shows the card in place: refresh it and both totals. A dialog move
    re-renders the affected columns. Over the deal page the dialog just closes."""
    if not from_board(request):
        return closed_dialog_response()
    if source == "drag":
        context = {"card": board_card(deal_id=deal.pk, user=request.user)}
        return column_heads_response(request, stages, context, "deals/board.html#moved")
    return refreshed_columns_response(request, stages[0].pipeline, stages)


@login_required
@require_http_methods(["GET", "POST"])
def deal_move_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEALS)
    if request.method == "GET":
        return _move_dialog(request, deal)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return message_response(request, form_error_text(form), status=400)
    move = form.cleaned_data
    try:
        position = move["position"]
        if position is None:
            position = _neighbour_position(
                request=request,
                deal=deal,
                stage_id=move["stage"],
                before=move["before"],
                after=move["after"],
            )
        result = deal_move(
            user=request.user,
            deal=deal,
            stage=move["stage"],
            version=move["version"],
            position=position,
            pipeline=move["pipeline"],
            override_reason=move["override_reason"],
            complete=_completion(request, deal, entering_stage_id=move["stage"]),
        )
    except ChecklistIncomplete as refusal:
        return _refused_dialog(
            request, deal, refusal.missing, action="move", move={**move, "position": position}
        )
    except (ValidationError, DomainError) as error:
        return _refusal_response(request, deal, error)
    if not result.changed_stage and move["source"] == "drag":
        return _after_move(request, result.deal, [result.to_stage], "drag")
    return _after_move(
        request, result.deal, [result.from_stage, result.to_stage], move["source"] or "dialog"
    )


def _move_dialog(request: HttpRequest, deal: Deal) -> HttpResponse:
    """The keyboard-friendly "Move to…" dialog: every stage of every active pipeline."""
    if not can_edit(request.user, deal):
        return message_response(request, "You can see this deal but not move it.", status=403)
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
def deal_won_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEALS)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return message_response(request, form_error_text(form), status=400)
    data = form.cleaned_data
    try:
        won = deal_mark_won(
            user=request.user,
            deal=deal,
            version=data["version"],
            override_reason=data["override_reason"],
            complete=_completion(request, deal),
        )
    except ChecklistIncomplete as refusal:
        return _refused_dialog(
            request, deal, refusal.missing, action="won", move={"version": data["version"]}
        )
    except (ValidationError, DomainError) as error:
        return _refusal_response(request, deal, error)
    return _closed_response(request, won, f"“{won.title}” marked as won. 🎉")


@login_required
@require_http_methods(["GET", "POST"])
def deal_lost_view(request: HttpRequest, deal_id: int) -> HttpResponse:
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
        except DomainError as error:
            return _refusal_response(request, deal, error)
        return _closed_response(request, lost, f"“{lost.title}” marked as lost.")
    if request.method == "GET" and not can_edit(request.user, deal):
        return message_response(request, "You can see this deal but not change it.", status=403)
    response = form_page(request, "deals/board.html#lost-dialog", {"deal": deal, "form": form})
    return reswap(retarget(response, "#dialog-slot"), "innerHTML")


def _closed_response(request: HttpRequest, deal: Deal, text: str) -> HttpResponse:
    """The card leaves the board; its column's totals follow."""
    if not from_board(request):
        return closed_dialog_response()
    context = {"deal": deal, "message": text}
    response = column_heads_response(request, [deal.stage], context, "deals/board.html#closed")
    return trigger_client_event(response, "close-dialog", {})
