"""Where a moved card lands in its target column: an index, or a neighbour.

The board sends the neighbour (it does not know the index among all open cards when
filters or paging hide some); ``deal_move`` turns it into an index under the column
locks, so it describes the column as the move finds it (docs/deal-actions.md).
"""

from dataclasses import dataclass

from django.db.models import Subquery
from django.utils.translation import gettext as _

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
            raise InvalidRequest(
                _("Give at most one of position, before and after."), field=given[-1]
            )

    @property
    def neighbour(self) -> tuple[str, int] | None:
        """(``"before"`` or ``"after"``, the neighbour's id), or None for an index."""
        if self.before is not None:
            return "before", self.before
        if self.after is not None:
            return "after", self.after
        return None

    def neighbour_position(self, *, user: User, deal: Deal, stage_id: int) -> Subquery | None:
        """The neighbour's position as a subquery, for the statement that locks the deal
        once the columns are held (so it costs no statement of its own); None for an index.

        An invisible neighbour is treated as a missing one: the answer must not tell a
        caller that a deal they may not see sits in that column.
        """
        if self.neighbour is None:
            return None
        neighbour = (
            deals_visible_to(user)
            .filter(pk=self.neighbour[1], stage_id=stage_id, status=Deal.Status.OPEN)
            .exclude(pk=deal.pk)
            .order_by()
            .values("position")[:1]
        )
        return Subquery(neighbour)

    def index(self, *, deal: Deal, stage_id: int, neighbour_position: int | None) -> int:
        """The index in the locked target column; the top when nothing is given.

        ``neighbour_position`` is what ``neighbour_position()`` read under the locks.
        """
        if self.neighbour is None:
            return 0 if self.position is None else self.position
        field = self.neighbour[0]
        if neighbour_position is None:
            raise InvalidRequest(
                _(
                    "The board changed meanwhile: that neighbour is not an open deal of the "
                    "target column."
                ),
                field=field,
            )
        index = neighbour_position if field == "before" else neighbour_position + 1
        # Within its own column a card moving down leaves a gap above its landing place.
        moving_down = deal.stage_id == stage_id and deal.position < index
        return index - 1 if moving_down else index
