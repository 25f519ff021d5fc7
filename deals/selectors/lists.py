"""Reads of the deals list and its CSV export: the filters in the URL, the order, the
columns a page shows. A fixed number of queries, whatever the number of deals.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import F, QuerySet

from accounts.models import User
from deals.models import Deal
from deals.selectors.filters import (
    BoardFilters,
    deals_filtered,
    deals_with_figures,
    is_ascii_number,
)
from pipelines.models import Pipeline

SORTS = {
    "title": ("title", "id"),
    "organization": ("organization__name", "id"),
    "value": ("value", "id"),
    "stage": ("pipeline__name", "stage__position", "id"),
    "owner": ("owner__username", "id"),
    "close": ("expected_close_date", "id"),
    "status": ("status", "id"),
    "updated": ("updated_at", "id"),
    "created": ("created_at", "id"),
}
DEFAULT_SORT = "-updated"
STATUSES = {"open", "won", "lost"}


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class DealListFilters:
    """The board's filters plus status, pipeline and close-date range, as in the URL."""

    board: BoardFilters = field(default_factory=BoardFilters)
    status: str = ""  # "" = every status
    pipeline: int | None = None
    close_from: datetime.date | None = None
    close_to: datetime.date | None = None
    sort: str = DEFAULT_SORT

    @classmethod
    def from_query(cls, params) -> "DealListFilters":
        """Junk in the URL is ignored, never an error: a hand-edited link still opens."""
        status = params.get("status", "")
        pipeline = params.get("pipeline", "")
        sort = params.get("sort", DEFAULT_SORT)
        return cls(
            board=BoardFilters.from_query(params),
            status=status if status in STATUSES else "",
            pipeline=int(pipeline) if is_ascii_number(pipeline) and len(pipeline) < 19 else None,
            close_from=_date(params.get("close_from", "")),
            close_to=_date(params.get("close_to", "")),
            sort=sort if sort.removeprefix("-") in SORTS else DEFAULT_SORT,
        )

    def as_query(self, **overrides) -> dict[str, str]:
        query = dict(self.board.as_query())
        query |= {
            "status": self.status,
            "pipeline": str(self.pipeline or ""),
            "close_from": self.close_from.isoformat() if self.close_from else "",
            "close_to": self.close_to.isoformat() if self.close_to else "",
            "sort": self.sort if self.sort != DEFAULT_SORT else "",
        }
        query |= overrides
        return {key: value for key, value in query.items() if value}

    @property
    def active(self) -> bool:
        return bool({k: v for k, v in self.as_query().items() if k != "sort"})


def deals_list(*, user: User, filters: DealListFilters) -> QuerySet[Deal]:
    """Visible deals narrowed by the filters, in the chosen order (the page and the export)."""
    deals = deals_filtered(user=user, filters=filters.board)
    if filters.status:
        deals = deals.filter(status=filters.status)
    if filters.pipeline:
        deals = deals.filter(pipeline_id=filters.pipeline)
    if filters.close_from:
        deals = deals.filter(expected_close_date__gte=filters.close_from)
    if filters.close_to:
        deals = deals.filter(expected_close_date__lte=filters.close_to)
    descending = filters.sort.startswith("-")
    # Empty values last either way; ties broken by id in the same direction, so that paging
    # is stable.
    order = [
        F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
        for column in SORTS[filters.sort.removeprefix("-")]
    ]
    return deals.order_by(*order)


def deals_list_page(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """The columns a page of the list shows, joined in the same query."""
    return deals_with_figures(
        deals.select_related("pipeline", "stage", "owner", "organization", "person")
    )


def list_pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.order_by("-is_active", "name", "id")
