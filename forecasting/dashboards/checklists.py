"""Checklist analytics (docs/domain/stalls-and-forecast.md):
per item, what it cost and whether it predicts wins."""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from deals.checklist_rules import custom_field_rule
from deals.models import ChecklistCheck, Deal, MoveRefusal, StageChange
from forecasting.dashboards.figures import percent
from forecasting.dashboards.periods import Period
from forecasting.dashboards.teams import Scope
from pipelines.models import ChecklistItem, Pipeline

Status = Deal.Status


class Median(Aggregate):
    """PostgreSQL's exact median (``percentile_cont``); it accepts intervals."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass
class ItemFigures:
    """One checklist item over the period: what it cost and whether it predicts wins."""

    item: ChecklistItem
    rule: str = ""  # a custom-field item's rule in words: "Budget is at least €10,000"
    blocked: int = 0  # refused moves that named it missing
    overrides: int = 0  # stage changes that overrode it
    passes: int = 0  # forward stage changes that had to satisfy it
    median_to_done: datetime.timedelta | None = None  # stage entered → ticked (manual items)
    done_closed: int = 0  # deals closed in the period with the item ticked …
    done_won: int = 0
    overridden_closed: int = 0  # … and with the item overridden
    overridden_won: int = 0

    @property
    def override_rate(self) -> Decimal | None:
        return percent(self.overrides, self.passes)

    @property
    def done_win_rate(self) -> Decimal | None:
        return percent(self.done_won, self.done_closed)

    @property
    def overridden_win_rate(self) -> Decimal | None:
        return percent(self.overridden_won, self.overridden_closed)

    @property
    def median_days(self) -> Decimal | None:
        if self.median_to_done is None:
            return None
        return (Decimal(self.median_to_done.total_seconds()) / 86400).quantize(Decimal("0.1"))

    @property
    def has_history(self) -> bool:
        return bool(self.blocked or self.overrides or self.passes or self.done_closed)


def _grouped(queryset: QuerySet, key: str, **aggregates) -> dict[int, dict]:
    return {
        row[key]: row for row in queryset.order_by().values(key).annotate(**aggregates).order_by()
    }


def tick_waits(*, scope: Scope, pipeline: Pipeline, period: Period) -> QuerySet:
    """Ticks of the period with their ``wait``: from the deal entering the item's stage
    to the tick.

    The entry is the deal's latest stage change into that stage at or before the tick
    (a tick made before the deal ever entered, as entry items may be, has none: its wait
    is NULL and the medians leave it out). PostgreSQL takes the median in SQL
    (``medians_in_sql``); SQLite, which `make run` uses and which lacks
    ``percentile_cont``, reads the waits in one query and takes it in Python
    (``medians_in_python``).
    """
    entered = (
        StageChange.objects.filter(
            deal_id=OuterRef("deal_id"),
            to_stage_id=OuterRef("item__stage_id"),
            changed_at__lte=OuterRef("checked_at"),
        )
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )
    waits = (
        ChecklistCheck.objects.filter(
            period.changed_q("checked_at"),
            scope.of_deal(),
            item__stage__pipeline=pipeline,
        )
        # A tick with no entry before it has a NULL wait, which the median skips: filtering
        # on the subquery instead would make PostgreSQL run it twice per tick.
        .annotate(
            wait=ExpressionWrapper(
                F("checked_at") - Subquery(entered), output_field=DurationField()
            )
        )
        .order_by()
    )
    return waits


def medians_in_sql(waits: QuerySet) -> dict[int, datetime.timedelta]:
    """Median ``wait`` per item, computed by PostgreSQL."""
    rows = waits.values("item_id").annotate(median=Median("wait"))
    return {row["item_id"]: row["median"] for row in rows if row["median"] is not None}


def medians_in_python(waits: QuerySet) -> dict[int, datetime.timedelta]:
    """Median ``wait`` per item from one query's rows, for databases without a median."""
    by_item: dict[int, list[datetime.timedelta]] = defaultdict(list)
    for item_id, wait in waits.values_list("item_id", "wait"):
        if wait is not None:
            by_item[item_id].append(wait)
    return {item_id: statistics.median(values) for item_id, values in by_item.items()}


def checklist_figures(*, scope: Scope, pipeline: Pipeline, period: Period) -> list[ItemFigures]:
    """Per checklist item of the pipeline
    (docs/domain/stalls-and-forecast.md): moves it blocked, how often it was
    overridden (of the forward stage changes that had to satisfy it), the median time to
    tick it, and the win rate of deals closed in the period where it was ticked versus
    overridden. Seven queries, and one for the options of choice fields when custom-field
    items name any.

    Only manual items are ticked (ChecklistCheck); field, custom-field and activity items
    are evaluated when a deal moves, so they have no tick time and no "done" win rate.
    Their refusals, overrides and passes count like any item's.
    """
    items = list(
        ChecklistItem.objects.filter(stage__pipeline=pipeline)
        .select_related("stage", "custom_field")
        .prefetch_related("custom_field__options")
        .order_by("stage__position", "kind", "position", "pk")
    )
    refusals = MoveRefusal.missing_items.through.objects.filter(
        period.changed_q("moverefusal__created_at"),
        scope.of_deal("moverefusal__deal__"),
        checklistitem__stage__pipeline=pipeline,
    )
    overridden = StageChange.overridden_items.through.objects.filter(
        checklistitem__stage__pipeline=pipeline
    )
    changes = StageChange.objects.filter(period.changed_q("changed_at"), scope.of_deal())
    forward = changes.filter(from_stage__isnull=False)
    blocked = _grouped(refusals, "checklistitem_id", n=Count("pk"))
    # The period's overriding changes are found first (every override has a reason, and
    # an index holds just those): they are far fewer than all overrides.
    overriding = changes.exclude(override_reason="").values("pk")
    overrides = _grouped(
        overridden.filter(stagechange__in=overriding), "checklistitem_id", n=Count("pk")
    )
    # Exit items gate forward moves out of their stage, entry items forward moves into it
    # (from a lower stage, or from another pipeline, docs/domain/moves.md).
    # One query counts the moves per (from, to) pair; the few pairs are summed per gate.
    exits: dict[int, int] = defaultdict(int)
    entries: dict[int, int] = defaultdict(int)
    pairs = (
        forward.filter(Q(from_stage__pipeline=pipeline) | Q(to_stage__pipeline=pipeline))
        .values(
            "from_stage_id",
            "from_stage__position",
            "from_stage__pipeline_id",
            "to_stage_id",
            "to_stage__position",
            "to_stage__pipeline_id",
        )
        .annotate(moves=Count("pk"))
        .order_by()
    )
    for pair in pairs:
        within = pair["from_stage__pipeline_id"] == pair["to_stage__pipeline_id"]
        if within and pair["from_stage__position"] >= pair["to_stage__position"]:
            continue  # backward moves and reopenings are gated by nothing
        if within:
            exits[pair["from_stage_id"]] += pair["moves"]
        if pair["to_stage__pipeline_id"] == pipeline.pk:
            entries[pair["to_stage_id"]] += pair["moves"]
    done = _grouped(
        ChecklistCheck.objects.filter(
            scope.of_deal(), period.closed_q("deal__"), item__stage__pipeline=pipeline
        ),
        "item_id",
        # One check per deal and item (a unique constraint): no DISTINCT needed.
        closed=Count("pk"),
        won=Count("pk", filter=Q(deal__status=Status.WON)),
    )
    overridden_outcomes = _grouped(
        overridden.filter(
            scope.of_deal("stagechange__deal__"), period.closed_q("stagechange__deal__")
        ),
        "checklistitem_id",
        closed=Count("stagechange__deal_id", distinct=True),
        won=Count(
            "stagechange__deal_id",
            distinct=True,
            filter=Q(stagechange__deal__status=Status.WON),
        ),
    )
    waits = tick_waits(scope=scope, pipeline=pipeline, period=period)
    medians = (
        medians_in_sql(waits) if connection.vendor == "postgresql" else medians_in_python(waits)
    )
    figures = []
    for item in items:
        gate = exits if item.kind == ChecklistItem.Kind.EXIT else entries
        done_row = done.get(item.pk, {})
        overridden_row = overridden_outcomes.get(item.pk, {})
        row = ItemFigures(
            item=item,
            rule=custom_field_rule(item) if item.custom_field_id else "",
            blocked=blocked.get(item.pk, {}).get("n", 0),
            overrides=overrides.get(item.pk, {}).get("n", 0),
            passes=gate[item.stage_id],
            median_to_done=medians.get(item.pk),
            done_closed=done_row.get("closed", 0),
            done_won=done_row.get("won", 0),
            overridden_closed=overridden_row.get("closed", 0),
            overridden_won=overridden_row.get("won", 0),
        )
        if not item.is_archived or row.has_history:
            figures.append(row)
    return figures
