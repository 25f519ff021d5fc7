"""The board: one page per pipeline, its columns as fragments, live refresh, new deals."""

from functools import partial

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from accounts.models import User
from deals.access import deal_owner_choices, editable_owner_ids
from deals.forms import DealCreateForm
from deals.forms_custom import custom_errors_to_form
from deals.forms_filters import filter_inputs
from deals.selectors.board import (
    board_change_token,
    board_columns_and_totals,
    board_owner_choices,
    column_cards,
    main_pipeline,
)
from deals.selectors.cards import card_rows
from deals.selectors.filters import BoardFilters, is_ascii_number
from deals.services.deal_forms import deal_create_with_contacts
from deals.views.board_answers import refreshed_columns_response
from pipelinecrm.responses import form_page
from pipelines.models import CustomField, Pipeline, Stage
from pipelines.selectors import active_pipelines, custom_fields_for

LAST_BOARD_KEY = "last_pipeline_id"
POLL_SALT = "board-poll"
POLL_MAX_AGE = 12 * 3600
MAX_OFFSET = 10**9


@login_required
def board_home(request: HttpRequest) -> HttpResponse:
    """The user's last board, else the pipeline they work in (docs/domain/board.md)."""
    pipelines = active_pipelines()
    if not pipelines:
        return render(request, "deals/no_pipeline.html", {"nav_section": "board"})
    last = request.session.get(LAST_BOARD_KEY)
    pipeline = next((p for p in pipelines if p.pk == last), None)
    if pipeline is None:
        # Ties (no open deal yet) go to the oldest pipeline: usually the company's main one.
        oldest_first = sorted(pipelines, key=lambda p: p.pk)
        owners = editable_owner_ids(request.user)
        pipeline = main_pipeline(oldest_first, owner_ids=owners)
    return redirect("board-pipeline", pipeline_id=pipeline.pk)


def _poll_token(user: User, pipeline_id: int) -> str:
    """Signed, so the poll can trust whom it watches for; what it watches is a digest over
    the deals this user may see (docs/hardening/gate-activities.md)."""
    current = board_change_token(pipeline_id=pipeline_id, user_id=user.pk, role=user.role)
    return signing.dumps(
        {"u": user.pk, "r": user.role, "p": pipeline_id, "t": current}, salt=POLL_SALT
    )


def board_context(
    request: HttpRequest,
    pipeline: Pipeline,
    filters: BoardFilters,
    fields: list[CustomField] | None = None,
) -> dict:
    """The columns and totals of a board render; ``fields``: the pipeline's custom fields
    when the caller has read them already (the cards show some)."""
    columns, totals = board_columns_and_totals(
        pipeline=pipeline,
        user=request.user,
        filters=filters,
        limit=settings.BOARD_FIRST_PAGE_SIZE,
        read=partial(card_rows, fields=fields),
    )
    return {
        "pipeline": pipeline,
        "filters": filters,
        "columns": columns,
        "totals": totals,
        "poll_token": _poll_token(request.user, pipeline.pk),
    }


@login_required
@require_GET
def board_page(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipelines = active_pipelines()
    pipeline = next((p for p in pipelines if p.pk == pipeline_id), None)
    if pipeline is None:
        get_object_or_404(Pipeline.objects.none())
    # The pipeline's custom fields a filter may name (docs/domain/custom-fields.md).
    fields = custom_fields_for(pipeline.pk)
    filters = BoardFilters.from_query(request.GET, fields=fields)
    context = board_context(request, pipeline, filters, fields)
    if request.htmx and request.htmx.target == "board-columns":
        # The board's totals follow the columns out of band (filters, live refresh).
        return render(request, "deals/board.html#columns", context | {"oob_totals": True})
    if request.session.get(LAST_BOARD_KEY) != pipeline.pk:
        request.session[LAST_BOARD_KEY] = pipeline.pk
    owner_choices = list(board_owner_choices(pipeline=pipeline, user=request.user))
    context |= {
        "nav_section": "board",
        "pipelines": pipelines,
        "owner_choices": owner_choices,
        # Compact: choices, yes/no and users; a user field offers the owner filter's people.
        "custom_filters": filter_inputs(fields, filters, people=owner_choices, select_only=True),
    }
    return render(request, "deals/board.html", context)


def _board_stage_or_404(pipeline_id: int, stage_id: int) -> Stage:
    """A column of an active board."""
    return get_object_or_404(
        Stage.objects.select_related("pipeline"),
        pk=stage_id,
        pipeline_id=pipeline_id,
        pipeline__is_active=True,
        is_archived=False,
    )


@login_required
@require_GET
def column_more(request: HttpRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    """The next page of a column's cards, fetched when the user scrolls to its end."""
    stage = _board_stage_or_404(pipeline_id, stage_id)
    raw_offset = request.GET.get("offset", "")
    # Capped so that a hand-edited offset stays inside PostgreSQL's bigint (else a 500).
    offset = min(int(raw_offset), MAX_OFFSET) if is_ascii_number(raw_offset) else 0
    filters = BoardFilters.from_query(request.GET, pipeline_id=pipeline_id)
    cards, next_offset = column_cards(
        pipeline=stage.pipeline,
        stage=stage,
        user=request.user,
        filters=filters,
        offset=offset,
        limit=settings.BOARD_PAGE_SIZE,
    )
    context = {
        "pipeline": stage.pipeline,
        "stage": stage,
        "cards": cards,
        "next_offset": next_offset,
        "filters": filters,
    }
    return render(request, "deals/board.html#cards-page", context)


@never_cache
@require_GET
def board_changes(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """Live refresh: 204 when nothing changed since the page's token (one query).

    The signed token names the user, their role and the pipeline the page was rendered
    for, so this hot, every-few-seconds endpoint needs no session; it watches only the
    deals that user may see and reveals nothing but "something changed", and the board
    itself is then fetched through the normal, fully checked view.
    """
    try:
        token = signing.loads(request.GET.get("token", ""), salt=POLL_SALT, max_age=POLL_MAX_AGE)
    except signing.BadSignature:
        return JsonResponse({"error": _("This board is out of date; reload the page.")}, status=400)
    if token.get("p") != pipeline_id or not {"u", "r", "t"} <= token.keys():
        return JsonResponse({"error": _("Wrong board.")}, status=400)
    current = board_change_token(pipeline_id=pipeline_id, user_id=token["u"], role=token["r"])
    if current == token["t"]:
        return HttpResponse(status=204)
    response = HttpResponse(status=200)
    return trigger_client_event(response, "board-changed", {})


@login_required
@require_http_methods(["GET", "POST"])
def deal_new(request: HttpRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    """The "+" on a column: a short form in a dialog; the new card appears at the top."""
    stage = _board_stage_or_404(pipeline_id, stage_id)
    pipeline = stage.pipeline
    owners = deal_owner_choices(request.user)
    form = DealCreateForm(
        request.POST or None,
        owner_choices=owners,
        initial={"owner": request.user.pk},
        custom_fields=custom_fields_for(pipeline.pk),
    )
    context = {"pipeline": pipeline, "stage": stage, "form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal_create_with_contacts(
                user=request.user,
                title=data["title"],
                pipeline=pipeline,
                stage=stage,
                owner=data["owner"],
                value=data["value"],
                expected_close_date=data["expected_close_date"],
                organization_name=data["organization_name"],
                person_name=data["person_name"],
                custom_fields=form.custom_values(),
            )
        except ValidationError as error:
            # A custom value the service refused (a field archived meanwhile): on its input.
            if not custom_errors_to_form(form, error):
                raise
        else:
            return refreshed_columns_response(
                request, pipeline, [stage], message=_("Deal created.")
            )
    return form_page(request, "deals/board.html#new-deal-dialog", context)
