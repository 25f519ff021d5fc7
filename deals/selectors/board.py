"""Reads shaped for the board: columns with SQL totals and the first cards of each.

Every function here costs a fixed number of queries whatever the number of deals.
"""

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain

from django.db.models import Count, Exists, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Role, User
from accounts.selectors import teammate_ids
from deals.access import (
    deal_owner_choices,
    deals_on_pipeline_visible_to,
    deals_visible_to,
    editable_owner_ids,
)
from deals.checklist_rules import done_by, item_satisfied, items_with_state
from deals.expressions import MONEY_SUM_FIELD, WEIGHTED_VALUE, ZERO
from deals.models import Activity, ChecklistCheck, Deal
from deals.selectors.cards import (
    OPEN_ACTIVITY,
    Card,
    card_rows,
    overdue_activity,
)
from deals.selectors.filters import BoardFilters, deals_filtered, deals_with_figures
from pipelines.models import ChecklistItem, Pipeline, Stage

# A key salt, not a secret: the secret is SECRET_KEY, which salted_hmac mixes in.
BOARD_DIGEST_SALT = "deals.board-change-token"


def board_deals(*, pipeline: Pipeline, user: User, filters: BoardFilters) -> QuerySet[Deal]:
    visible = deals_on_pipeline_visible_to(user, pipeline.pk)
    return deals_filtered(
        user=user, filters=filters, queryset=visible.filter(status=Deal.Status.OPEN)
    )


@dataclass
class Column:
    stage: Stage
    count: int = 0
    total: Decimal = ZERO
    weighted: Decimal = ZERO
    cards: list[Card] | list[Deal] = field(default_factory=list)
    next_offset: int | None = None


def card_models(deals: QuerySet[Deal]) -> list[Deal]:
    """``deals`` as model instances with the API's figures (the API serializes whole
    deals; pages read the lighter ``card_rows``); ``decorate_cards`` adds the rest."""
    return list(deals_with_figures(deals.select_related("owner", "organization", "stage")))


def _stalled_days(card: Deal, now) -> int | None:
    return (now - card.stalled_since).days if card.is_stalled and card.stalled_since else None


def decorate_cards(cards: list[Card] | list[Deal], user: User) -> None:
    """Checklist progress (satisfied / required exit items of the current stage), the
    activity badges and whether the user may edit each card; at most four queries for
    any number of cards."""
    if not cards:
        return
    stage_ids = {card.stage_id for card in cards}
    items_by_stage: dict[int, list[ChecklistItem]] = defaultdict(list)
    for item in ChecklistItem.objects.filter(
        stage_id__in=stage_ids,
        kind=ChecklistItem.Kind.EXIT,
        is_required=True,
        is_archived=False,
    ).select_related("custom_field"):
        items_by_stage[item.stage_id].append(item)
    deal_ids = [card.pk for card in cards]
    ticked = set()
    manual = ChecklistItem.SatisfiedBy.MANUAL
    if any(item.satisfied_by == manual for item in chain(*items_by_stage.values())):
        ticked = set(
            ChecklistCheck.objects.filter(
                deal_id__in=deal_ids, item__stage_id__in=stage_ids
            ).values_list("deal_id", "item_id")
        )
    now = timezone.now()
    activities = _activities_by_deal(deal_ids, now)
    editable = editable_owner_ids(user)
    for card in cards:
        last_done, card.has_next_activity, card.has_overdue_activity = activities.get(
            card.pk, NO_ACTIVITIES
        )
        items = items_by_stage.get(card.stage_id, [])
        card.checklist_required = len(items)
        card.checklist_done = sum(
            item_satisfied(
                item,
                card,
                ticked=(card.pk, item.pk) in ticked,
                last_done_at=last_done.get(item.activity_kind),
                now=now,
            )
            for item in items
        )
        card.is_editable = editable is None or card.owner_id in editable
        card.stalled_days = _stalled_days(card, now)


NO_ACTIVITIES: tuple[dict, bool, bool] = ({}, False, False)


def _activities_by_deal(deal_ids: list[int], now) -> dict[int, tuple[dict, bool, bool]]:
    """Per deal: when an activity of each kind was last done by ``now``, and whether one
    is open and one overdue; one query over the deals' activities."""
    rows = (
        Activity.objects.filter(deal_id__in=deal_ids)
        .values_list("deal_id", "kind")
        .annotate(
            latest=Max("done_at", filter=done_by(now)),
            open=Count("pk", filter=OPEN_ACTIVITY),
            overdue=Count("pk", filter=overdue_activity(now)),
        )
        .order_by()
    )
    found: dict[int, tuple[dict, bool, bool]] = {}
    for deal_id, kind, latest, open_count, overdue_count in rows:
        last_done, has_open, has_overdue = found.get(deal_id, ({}, False, False))
        if latest is not None:
            last_done[kind] = latest
        found[deal_id] = (last_done, has_open or open_count > 0, has_overdue or overdue_count > 0)
    return found


# A column's figures over all its (filtered) open deals, whatever is shown of them.
COLUMN_AGGREGATES = {
    "count": Count("pk"),
    "total": Sum("value", output_field=MONEY_SUM_FIELD),
    "weighted": Sum(WEIGHTED_VALUE, output_field=MONEY_SUM_FIELD),
}


@dataclass
class BoardTotals:
    """The board's figures over its visible (filtered) open deals: the sum of its columns'
    (docs/domain/board.md)."""

    count: int = 0
    total: Decimal = ZERO
    weighted: Decimal = ZERO

    def add(self, count: int, total: Decimal | None, weighted: Decimal | None) -> None:
        self.count += count
        self.total += total or ZERO
        self.weighted += weighted or ZERO


def board_columns(
    *,
    pipeline: Pipeline,
    user: User,
    filters: BoardFilters,
    limit: int,
    stage_ids: Collection[int] | None = None,
    read: Callable[[QuerySet[Deal]], list] = card_rows,
) -> list[Column]:
    """Columns (all, or those of ``stage_ids``) with totals over the whole (filtered)
    column and its first ``limit`` cards, read by ``read`` (``card_rows`` for pages,
    ``card_models`` for the API)."""
    columns, _ = board_columns_and_totals(
        pipeline=pipeline,
        user=user,
        filters=filters,
        limit=limit,
        stage_ids=stage_ids,
        read=read,
    )
    return columns


def board_columns_and_totals(
    *,
    pipeline: Pipeline,
    user: User,
    filters: BoardFilters,
    limit: int,
    stage_ids: Collection[int] | None = None,
    read: Callable[[QuerySet[Deal]], list] = card_rows,
) -> tuple[list[Column], BoardTotals]:
    """``board_columns`` and the board's totals, summed from every active column's
    aggregates in the same query (also when only ``stage_ids`` are re-rendered)."""
    stages = list(pipeline.stages.filter(is_archived=False).order_by("position", "id"))
    deals = board_deals(pipeline=pipeline, user=user, filters=filters)
    # One query ranks the cards of every column and sums each column whole (window
    # functions over the stage); only the first cards are then read with their owner and
    # organization (docs/performance/board-page.md). The first row of every column carries
    # its sums, which add up to the board's totals.
    by_stage = [F("stage_id")]
    ranked = deals.annotate(
        rank=Window(RowNumber(), partition_by=by_stage, order_by=[F("position"), F("id")]),
        **{name: Window(agg, partition_by=by_stage) for name, agg in COLUMN_AGGREGATES.items()},
    )
    if stage_ids is None:
        first = ranked.filter(rank__lte=limit)
    else:
        first = ranked.filter(Q(rank=1) | Q(rank__lte=limit, stage_id__in=stage_ids))
    active = {stage.pk for stage in stages}
    columns = {
        stage.pk: Column(stage=stage)
        for stage in stages
        if stage_ids is None or stage.pk in stage_ids
    }
    totals = BoardTotals()
    first_ids = []
    for pk, stage_id, rank, count, total, weighted in first.values_list(
        "pk", "stage_id", "rank", *COLUMN_AGGREGATES
    ):
        if stage_id not in active:
            continue
        if rank == 1:
            totals.add(count, total, weighted)
        column = columns.get(stage_id)
        if column is None:
            continue
        if rank == 1:
            column.count, column.total, column.weighted = count, total or ZERO, weighted or ZERO
        first_ids.append(pk)
    first_cards = Deal.objects.filter(
        pk__in=first_ids, status=Deal.Status.OPEN, stage_id__in=columns.keys()
    )
    cards = read(first_cards.order_by("stage__position", "position", "id"))
    decorate_cards(cards, user)
    for card in cards:
        columns[card.stage_id].cards.append(card)
    for column in columns.values():
        if column.count > len(column.cards):
            column.next_offset = len(column.cards)
    return list(columns.values()), totals


def column_cards(
    *,
    pipeline: Pipeline,
    stage: Stage,
    user: User,
    filters: BoardFilters,
    offset: int,
    limit: int,
) -> tuple[list[Card], int | None]:
    """One more page of a column's cards, for loading on scroll."""
    deals = board_deals(pipeline=pipeline, user=user, filters=filters).filter(stage=stage)
    page = card_rows(deals.order_by("position", "id")[offset : offset + limit + 1])
    more = len(page) > limit
    page = page[:limit]
    decorate_cards(page, user)
    return page, (offset + limit if more else None)


def column_totals(
    *, stages: list[Stage], user: User, filters: BoardFilters
) -> tuple[list[Column], BoardTotals]:
    """The totals of the (filtered) columns ``stages``, without their cards, and the
    board's totals over every active column of the first one's pipeline. One query."""
    board = Q(stage__pipeline_id=stages[0].pipeline_id, stage__is_archived=False)
    deals = deals_filtered(user=user, filters=filters).filter(
        Q(stage__in=stages) | board, status=Deal.Status.OPEN
    )
    rows = (
        deals.order_by()
        .values_list("stage_id", "stage__pipeline_id", "stage__is_archived")
        .annotate(**COLUMN_AGGREGATES)
    )
    figures, totals = {}, BoardTotals()
    for stage_id, pipeline_id, is_archived, count, total, weighted in rows:
        figures[stage_id] = {"count": count, "total": total or ZERO, "weighted": weighted or ZERO}
        if pipeline_id == stages[0].pipeline_id and not is_archived:
            totals.add(count, total, weighted)
    return [Column(stage=stage, **figures.get(stage.pk, {})) for stage in stages], totals


def board_owner_choices(*, pipeline: Pipeline, user: User) -> QuerySet[User]:
    """People whose deals the owner filter can show: those the user may see on this board,
    which are those they may give deals to, and on a team pipeline their teammates too."""
    users = deal_owner_choices(user)
    if user.role == Role.ADMIN or pipeline.visibility != Pipeline.Visibility.TEAM:
        return users
    return users | User.objects.filter(is_active=True, pk__in=teammate_ids(user=user))


def board_change_token(*, pipeline_id: int, user_id: int, role: str) -> str:
    """Changes whenever a card the user may see is added, moved, edited or leaves the board:
    one query (docs/hardening/gate-activities.md).

    Only open deals the user may see count, and every write bumps ``updated_at``; a deal
    that leaves the board (closed, reassigned away, moved to another pipeline) changes the
    count. The user is named by id and role (from the signed poll token, so the poll needs
    no session); if either no longer holds, or the user was deactivated, nothing matches,
    the token changes and the board reloads through its fully checked view. The answer is
    a keyed digest: it tells whether something changed, never how many deals there are.
    """
    viewer = User(pk=user_id, role=role)
    still_so = Exists(User.objects.filter(pk=user_id, role=role, is_active=True))
    row = (
        deals_on_pipeline_visible_to(viewer, pipeline_id)
        .filter(still_so, status=Deal.Status.OPEN)
        .aggregate(latest=Max("updated_at"), count=Count("pk"))
    )
    latest = row["latest"].isoformat() if row["latest"] else "-"
    state = f"{user_id}|{pipeline_id}|{latest}|{row['count']}"
    return salted_hmac(BOARD_DIGEST_SALT, state, algorithm="sha256").hexdigest()


def board_card(*, deal_id: int, user: User) -> Card | None:
    """One open card, decorated like the board's, or None if it left the board."""
    cards = card_rows(deals_visible_to(user).filter(pk=deal_id, status=Deal.Status.OPEN))
    decorate_cards(cards, user)
    return cards[0] if cards else None


def moved_card(*, moved: Deal, read: Deal) -> Deal:
    """The card of a deal its viewer just dragged, decorated like the board's, in one
    query (its stage's required exit items with their state).

    ``moved`` is the deal as the move left it; ``read`` the same deal as the request read
    it before the move, with ``card_activity_flags`` and its owner and organization: a
    drag changes neither (docs/performance/move-request.md).
    """
    for relation in ("owner", "organization"):
        if getattr(moved, f"{relation}_id") == getattr(read, f"{relation}_id"):
            setattr(moved, relation, getattr(read, relation))
    moved.has_next_activity = read.has_next_activity
    moved.has_overdue_activity = read.has_overdue_activity
    return decorate_moved(moved)


def decorate_moved(deal: Deal) -> Deal:
    """``decorate_cards`` for one deal its viewer just moved, in one query (its stage's
    required exit items with their state); the mover may edit it: the move checked."""
    exit_items = ChecklistItem.objects.filter(
        stage_id=deal.stage_id,
        kind=ChecklistItem.Kind.EXIT,
        is_required=True,
        is_archived=False,
    )
    items = items_with_state(deal=deal, items=exit_items)
    deal.checklist_required = len(items)
    deal.checklist_done = sum(item.is_satisfied for item in items)
    deal.is_editable = True
    deal.stalled_days = _stalled_days(deal, timezone.now())
    return deal


def main_pipeline(
    pipelines: list[Pipeline], *, owner_ids: Collection[int] | None
) -> Pipeline | None:
    """The pipeline people work in: of ``pipelines`` (in their display order), the one
    holding most open deals of ``owner_ids`` (None: everyone's); a tie, or no open deal at
    all, goes to the first. One query (docs/domain/board.md)."""
    if not pipelines:
        return None
    deals = Deal.objects.filter(
        status=Deal.Status.OPEN, pipeline_id__in=[pipeline.pk for pipeline in pipelines]
    )
    if owner_ids is not None:
        deals = deals.filter(owner_id__in=owner_ids)
    counts = dict(deals.order_by().values_list("pipeline_id").annotate(n=Count("pk")))
    # max() keeps the first of equals: the display order breaks ties.
    return max(pipelines, key=lambda pipeline: counts.get(pipeline.pk, 0))
