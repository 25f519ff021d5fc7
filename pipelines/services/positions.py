"""Positions of ordered rows (stages of a pipeline, checklist items of a stage, lost
reasons): renumbered in one set-based UPDATE, swapped with a neighbour."""

from django.db.models import Case, PositiveIntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _

from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import Stage


def active_row_ids(siblings: QuerySet) -> list[int]:
    """The active rows of an ordered list (stages of a pipeline, items of a stage)."""
    return list(
        siblings.filter(is_archived=False).order_by("position", "pk").values_list("pk", flat=True)
    )


def renumber(siblings: QuerySet, active_ids: list[int]) -> None:
    """Active rows 0..n-1 in the given order, archived ones after them, in one UPDATE.

    The position constraints are deferred, so a swap cannot collide with itself.
    """
    archived = siblings.filter(is_archived=True).exclude(pk__in=active_ids)
    order = [*active_ids, *archived.order_by("position", "pk").values_list("pk", flat=True)]
    if order:
        siblings.filter(pk__in=order).update(position=positions_case(order))


def active_stage_ids(*, pipeline_id: int) -> list[int]:
    return active_row_ids(Stage.objects.filter(pipeline_id=pipeline_id))


def positions_case(order: list[int]) -> Case:
    """`position` = index in ``order`` for each listed primary key (one set-based UPDATE)."""
    return Case(
        *[When(pk=pk, then=Value(index)) for index, pk in enumerate(order)],
        output_field=PositiveIntegerField(),
    )


def placed_at(ids: list[int], pk: int, position: int, *, archived: str) -> list[int]:
    """``ids`` with ``pk`` moved to index ``position``; refused with ``archived`` when
    ``pk`` is not among them, and as a field error when the index is outside the list."""
    if pk not in ids:
        raise InvalidRequest(archived)
    if not 0 <= position < len(ids):
        raise InvalidRequest(
            _("Position %(position)s is outside this list (0–%(last)s).")
            % {"position": position, "last": len(ids) - 1},
            field="position",
        )
    rest = [other for other in ids if other != pk]
    return [*rest[:position], pk, *rest[position:]]


def swapped_with_neighbour(
    ids: list[int], pk: int, offset: int, *, archived: str, at_end: str
) -> tuple[list[int], int, int]:
    """``ids`` with ``pk`` swapped with its neighbour one place up (-1) or down (+1), and
    the two indexes; refused with ``archived`` or ``at_end``."""
    if pk not in ids:
        raise InvalidRequest(archived)
    index = ids.index(pk)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(ids):
        raise InvalidRequest(at_end)
    new = list(ids)
    new[index], new[target] = new[target], new[index]
    return new, index, target
