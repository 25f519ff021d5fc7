"""The deal filters as they live in the URL, the visible deals they select, and the
figures every list of deals shows (the board, the deals list, its export and the API).
Custom fields' filters are in ``custom_filters.py``.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from deals.access import deals_visible_to
from deals.expressions import EFFECTIVE_PROBABILITY, WEIGHTED_VALUE
from deals.models import Deal
from deals.selectors.custom_filters import CustomFilter, text_search, uses_custom_fields
from pipelines.models import CustomField
from pipelines.selectors import custom_fields_for


def is_ascii_number(text: str) -> bool:
    """Plain digits only: ``str.isdigit`` also accepts "²", which ``int()`` refuses."""
    return text.isascii() and text.isdigit()


def search_text(params) -> str:
    """The ``q`` of a query string, trimmed to 100 characters and without NUL (PostgreSQL
    text cannot hold it, so a search for one would be a 500)."""
    return params.get("q", "").replace("\x00", "").strip()[:100]


@dataclass(frozen=True)
class BoardFilters:
    """The board's filters as they live in the URL (docs/domain/board.md)."""

    owner: str = ""  # "" everyone I may see, "me", or a user id
    stalled: bool = False
    closing_this_month: bool = False
    q: str = ""
    custom: tuple[CustomFilter, ...] = ()  # custom fields' filters, in designer order

    @classmethod
    def from_query(
        cls,
        params,
        *,
        fields: Sequence[CustomField] | None = None,
        pipeline_id: int | None = None,
    ) -> "BoardFilters":
        """Junk in the URL is ignored, never an error: a hand-edited link still opens.

        ``fields``: the custom fields that may be filtered (the active ones of the board's
        pipeline, or of the list's); when not given and the URL names any, those of
        ``pipeline_id`` (every pipeline's when None) are read, one query.
        """
        owner = params.get("owner", "").strip()
        if owner not in {"", "me"} and not is_ascii_number(owner):
            owner = ""
        if fields is None:
            fields = custom_fields_for(pipeline_id) if uses_custom_fields(params) else []
        custom = (CustomFilter.from_query(field, params) for field in fields)
        return cls(
            owner=owner,
            stalled=params.get("stalled") == "1",
            closing_this_month=params.get("closing") == "month",
            q=search_text(params),
            custom=tuple(found for found in custom if found is not None),
        )

    def as_query(self) -> dict[str, str]:
        query = {"owner": self.owner, "q": self.q}
        if self.stalled:
            query["stalled"] = "1"
        if self.closing_this_month:
            query["closing"] = "month"
        for custom in self.custom:
            query |= custom.as_query()
        return {k: v for k, v in query.items() if v}

    def custom_filter(self, key: str) -> CustomFilter | None:
        """The filter of the field ``key``, for the inputs that show it."""
        return next((custom for custom in self.custom if custom.key == key), None)

    @property
    def active(self) -> bool:
        return bool(self.as_query())


def month_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = today.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, end


def deals_filtered(*, user: User, filters: BoardFilters, queryset=None) -> QuerySet[Deal]:
    """Visible deals narrowed by the board filters (also used by the deals list and export)."""
    deals = deals_visible_to(user) if queryset is None else queryset
    if filters.owner == "me":
        deals = deals.filter(owner=user)
    elif filters.owner:
        deals = deals.filter(owner_id=int(filters.owner))
    if filters.stalled:
        deals = deals.filter(is_stalled=True)
    if filters.closing_this_month:
        start, end = month_bounds(timezone.localdate())
        deals = deals.filter(expected_close_date__gte=start, expected_close_date__lt=end)
    if filters.q:
        deals = deals.filter(
            Q(title__icontains=filters.q)
            | Q(organization__name__icontains=filters.q)
            | Q(person__name__icontains=filters.q)
            | Q(text_search(filters.q))
        )
    for custom in filters.custom:
        deals = deals.filter(custom.condition())
    return deals


def deals_with_figures(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """``probability`` (effective) and ``weighted`` computed in SQL, for lists of any size."""
    return deals.annotate(probability=EFFECTIVE_PROBABILITY, weighted=WEIGHTED_VALUE)


def with_figures(deal: Deal) -> Deal:
    """``deals_with_figures``' two figures for one deal in memory, its stage loaded (a deal
    just moved), from the model's properties that state the same rule; no statement."""
    deal.probability = deal.effective_probability
    deal.weighted = deal.weighted_value
    return deal
