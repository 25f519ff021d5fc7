"""Where a moved card lands in its target column: an index, or a neighbour.

The board sends the neighbour (it does not know the index among all open cards when
filters or paging hide some); ``deal_move`` turns it into an index under the column
locks, so it describes the column as the move finds it (docs/deal-actions.md).
"""

from dataclasses import dataclass

from accounts.models import User
from deals.access import deals_visible_to
from deals.models import Deal
from pipelinecrm.exceptions import InvalidRequest


@dataclass(frozen=True)
class Placement:
    """Where the card lands: an index, or the neighbour it lands above or below."""

    position: int | None = None
    before: int | None = None
    after: int | None = None

    def __post_init__(self) -> None:
        given = [
            name for name in ("position", "before", "after") if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise InvalidRequest("Give at most one of position, before and after.", field=given[-1])

    def index(self, *, user: User, deal: Deal, stage_id: int) -> int:
        """The index in the locked target column; the top when nothing is given."""
        if self.before is None and self.after is None:
            return 0 if self.position is None else self.position
        field, neighbour_id = ("before", self.before) if self.before else ("after", self.after)
        # An invisible neighbour is treated as a missing one: the answer must not tell a
        # caller that a deal they may not see sits in that column.
        neighbour = (
            deals_visible_to(user)
            .filter(pk=neighbour_id, stage_id=stage_id, status=Deal.Status.OPEN)
            .exclude(pk=deal.pk)
            .values_list("position", flat=True)
            .first()
        )
        if neighbour is None:
            raise InvalidRequest(
                "The board changed meanwhile: that neighbour is not an open deal of the "
                "target column.",
                field=field,
            )
        index = neighbour if field == "before" else neighbour + 1
        # Within its own column a card moving down leaves a gap above its landing place.
        moving_down = deal.stage_id == stage_id and deal.position < index
        return index - 1 if moving_down else index
