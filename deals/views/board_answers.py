"""The board's side of an action's answer: cards, column heads, toasts (out of band).

Shared by the board's own views and by the action views (actions.py) when the request
came from a board page; the deal page's side is panel.py.
"""

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django_htmx.http import reswap, retarget, trigger_client_event

from deals.models import Deal
from deals.selectors.board import board_card, board_columns_and_totals, column_totals
from deals.selectors.filters import BoardFilters
from pipelines.models import Pipeline, Stage


def request_filters(request: HttpRequest) -> BoardFilters:
    """The board's filters: from the query string, or for htmx posts from the page's URL."""
    if request.method == "GET" or not request.htmx or not request.htmx.current_url:
        return BoardFilters.from_query(request.GET)
    return BoardFilters.from_query(page_params(request))


def page_params(request: HttpRequest) -> dict[str, str]:
    """The query string of the page an htmx request came from (its filters), last value
    of each name; empty for other requests."""
    current_url = request.htmx.current_url if request.htmx else None
    if not current_url:
        return {}
    query = parse_qs(urlsplit(current_url).query)
    return {key: values[-1] for key, values in query.items()}


def from_board(request: HttpRequest) -> bool:
    """Whether an htmx request was sent from a board page (the deal page borrows the
    board's checklist dialog, and has no columns to update)."""
    current_url = request.htmx.current_url if request.htmx else None
    if not current_url:
        return True  # not htmx: the board's own forms and their fallbacks
    try:
        return resolve(urlsplit(current_url).path).url_name in ("board", "board-pipeline")
    except Resolver404:
        return False


def message_response(
    request: HttpRequest, text: str, status: int, level: str = "error"
) -> HttpResponse:
    """A sentence in the board's toast."""
    response = render(
        request, "deals/board.html#message", {"message": text, "level": level}, status=status
    )
    return reswap(retarget(response, "#toast"), "innerHTML")


def conflict_response(request: HttpRequest, deal: Deal, message: str) -> HttpResponse:
    """Refresh the card that changed under the user and say so (409)."""
    card = board_card(deal_id=deal.pk, user=request.user)
    response = render(
        request,
        "deals/board.html#conflict",
        {"message": message, "card": card, "deal": deal},
        status=409,
    )
    response = trigger_client_event(response, "board-changed", {})
    return reswap(retarget(response, "#toast"), "innerHTML")


def closed_dialog_response() -> HttpResponse:
    """Nothing to swap: the page that opened the dialog refreshes itself when it closes."""
    return trigger_client_event(HttpResponse(), "close-dialog", {})


def refreshed_columns_response(
    request: HttpRequest, pipeline: Pipeline, stages: list[Stage], message: str = ""
) -> HttpResponse:
    """Re-render whole columns out of band (used after dialog moves and new deals)."""
    filters = request_filters(request)
    columns, totals = board_columns_and_totals(
        pipeline=pipeline,
        user=request.user,
        filters=filters,
        limit=settings.BOARD_FIRST_PAGE_SIZE,
        stage_ids=[stage.pk for stage in stages],
    )
    context = {
        "pipeline": pipeline,
        "columns": columns,
        "totals": totals,
        "filters": filters,
        "message": message,
    }
    response = render(request, "deals/board.html#columns-oob", context)
    return trigger_client_event(response, "close-dialog", {})


def column_heads_response(
    request: HttpRequest, stages: list[Stage], context: dict, template: str
) -> HttpResponse:
    """Render ``template`` plus the totals of ``stages`` and of the board out of band."""
    filters = request_filters(request)
    heads, totals = column_totals(stages=stages, user=request.user, filters=filters)
    context = {**context, "heads": heads, "totals": totals, "filters": filters}
    return render(request, template, context)
