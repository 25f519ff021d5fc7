"""Board order: open deals of a stage are dense positions 0..n-1, ties broken by id.

Each shift is one set-based UPDATE over the affected range; the (stage, position) unique
constraint is deferred, so the shift never collides with itself (docs/domain/moves.md).
"""

from django.db.models import F

from deals.models import Deal


def make_room(*, stage_id: int, position: int) -> None:
    """Shift the cards at ``position`` and below down by one."""
    Deal.objects.filter(stage_id=stage_id, status=Deal.Status.OPEN, position__gte=position).update(
        position=F("position") + 1
    )


def close_gap(*, stage_id: int, position: int) -> None:
    """Shift the cards below a removed ``position`` up by one."""
    Deal.objects.filter(stage_id=stage_id, status=Deal.Status.OPEN, position__gt=position).update(
        position=F("position") - 1
    )
