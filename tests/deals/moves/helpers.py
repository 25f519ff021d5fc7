"""Reading columns and history in the move tests."""

from django.db import connection

from deals.models import Deal, DealEvent, StageChange
from pipelines.models import ChecklistItem, Stage
from tests.factories import make_deal, reload

EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY
FIELD, ACTIVITY = ChecklistItem.SatisfiedBy.FIELD, ChecklistItem.SatisfiedBy.ACTIVITY


# --- helpers ---------------------------------------------------------------------------


def column(stage: Stage) -> list[int]:
    """Ids of the open deals of ``stage`` in board order."""
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    return list(rows.values_list("pk", flat=True))


def assert_dense(stage: Stage) -> None:
    """Open deals of ``stage`` hold exactly the positions 0..n-1 in (position, id) order.

    Also checks the deferred constraints (unique position per stage, the deal's stage in
    its pipeline) now: a test transaction never commits, so they would otherwise never run.
    """
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    positions = list(rows.values_list("position", flat=True))
    assert positions == list(range(len(positions))), f"{stage.name}: {positions}"
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def make_column(owner, stage: Stage, n: int) -> list[Deal]:
    """``n`` open deals in ``stage``, returned in board order (top first)."""
    deals = [make_deal(owner, stage.pipeline, stage) for _ in range(n)]
    return [reload(deal) for deal in reversed(deals)]


def history_counts(deal: Deal) -> tuple[int, int]:
    """(stage changes, deal events other than creation) of ``deal``."""
    return (
        StageChange.objects.filter(deal=deal, from_stage__isnull=False).count(),
        DealEvent.objects.filter(deal=deal).exclude(kind=DealEvent.Kind.CREATED).count(),
    )


def snapshot(deal: Deal) -> tuple:
    """What a refused move must leave untouched."""
    deal = reload(deal)
    return (
        deal.stage_id,
        deal.pipeline_id,
        deal.position,
        deal.version,
        deal.stage_entered_at,
        deal.status,
        history_counts(deal),
    )
