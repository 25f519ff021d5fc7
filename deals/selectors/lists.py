"""Reads of the deals list and its CSV export: the filters in the URL, the order, the
columns a page shows. A fixed number of queries, whatever the number of deals, and
whatever the number of custom fields (docs/domain/custom-fields.md).
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F, OrderBy, QuerySet

from accounts.models import User
from deals.access import visible_owner_ids
from deals.models import Deal
from deals.selectors.custom_filters import PREFIX, param_values, sort_value, uses_custom_fields
from deals.selectors.custom_values import user_names, value_text
from deals.selectors.filters import (
    BoardFilters,
    deals_filtered,
    deals_with_figures,
    is_ascii_number,
)
from pipelinecrm.expressions import InSubqueryFirst
from pipelines import custom_fields as types
from pipelines.models import CustomField, Pipeline
from pipelines.selectors import custom_fields_for

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


def pipeline_param(params) -> int | None:
    """The ``pipeline`` filter of a query string; None for every pipeline (or junk)."""
    pipeline = params.get("pipeline", "")
    return int(pipeline) if is_ascii_number(pipeline) and len(pipeline) < 19 else None


def list_custom_fields(params) -> list[CustomField]:
    """The custom fields the list may filter, sort and show: the active ones of the chosen
    pipeline and those of every pipeline; without a pipeline filter, every active field.
    One query."""
    return custom_fields_for(pipeline_param(params))


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
    sort: str = DEFAULT_SORT  # a column of SORTS or "cf_<key>", "-" first for descending
    columns: tuple[str, ...] = ()  # keys of the custom fields shown as columns (``cols``)
    # The custom fields this list may filter, sort and show (``list_custom_fields``).
    custom_fields: tuple[CustomField, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def from_query(
        cls, params, *, fields: Sequence[CustomField] | None = None
    ) -> "DealListFilters":
        """Junk in the URL is ignored, never an error: a hand-edited link still opens.

        ``fields``: ``list_custom_fields(params)`` when the caller has them; else they are
        read (one query) only if the URL names a custom field."""
        status = params.get("status", "")
        pipeline = pipeline_param(params)
        if fields is None:
            fields = custom_fields_for(pipeline) if uses_custom_fields(params) else []
        keys = {f"{PREFIX}{custom.key}" for custom in fields}
        sort = params.get("sort", DEFAULT_SORT)
        sort_key = sort.removeprefix("-")
        chosen = set(param_values(params, "cols"))
        return cls(
            board=BoardFilters.from_query(params, fields=fields),
            status=status if status in STATUSES else "",
            pipeline=pipeline,
            close_from=_date(params.get("close_from", "")),
            close_to=_date(params.get("close_to", "")),
            sort=sort if sort_key in SORTS or sort_key in keys else DEFAULT_SORT,
            columns=tuple(custom.key for custom in fields if custom.key in chosen),
            custom_fields=tuple(fields),
        )

    def as_query(self, **overrides) -> dict[str, str]:
        query = dict(self.board.as_query())
        query |= {
            "status": self.status,
            "pipeline": str(self.pipeline or ""),
            "close_from": self.close_from.isoformat() if self.close_from else "",
            "close_to": self.close_to.isoformat() if self.close_to else "",
            "sort": self.sort if self.sort != DEFAULT_SORT else "",
            "cols": ",".join(self.columns),
        }
        query |= overrides
        return {key: value for key, value in query.items() if value}

    @property
    def active(self) -> bool:
        return bool({k: v for k, v in self.as_query().items() if k not in ("sort", "cols")})

    @property
    def column_fields(self) -> list[CustomField]:
        """The custom fields shown as columns, in designer order."""
        return [custom for custom in self.custom_fields if custom.key in self.columns]

    def sort_field(self) -> CustomField | None:
        """The custom field the list is sorted by, if any."""
        key = self.sort.removeprefix("-").removeprefix(PREFIX)
        if not self.sort.removeprefix("-").startswith(PREFIX):
            return None
        return next((custom for custom in self.custom_fields if custom.key == key), None)


def deals_list(*, user: User, filters: DealListFilters) -> QuerySet[Deal]:
    """Visible deals narrowed by the filters, in the chosen order (the page and the export).

    The deals are read owner by owner (the people some of whose deals the user may see,
    ``visible_owner_ids``) before the visibility rule and the filters apply: PostgreSQL
    then combines the owners' index with a custom field's GIN index instead of reading
    every deal that matches the filter, whichever team owns it
    (docs/performance/benchmark.md, "Deals list filtered by a custom field")."""
    deals = deals_filtered(user=user, filters=filters.board)
    owners = visible_owner_ids(user)
    if owners is not None:
        deals = deals.filter(InSubqueryFirst("owner_id", owners))
    if filters.status:
        deals = deals.filter(status=filters.status)
    if filters.pipeline:
        deals = deals.filter(pipeline_id=filters.pipeline)
    if filters.close_from:
        deals = deals.filter(expected_close_date__gte=filters.close_from)
    if filters.close_to:
        deals = deals.filter(expected_close_date__lte=filters.close_to)
    descending = filters.sort.startswith("-")
    sort_field = filters.sort_field()
    if sort_field is not None:
        columns = [sort_value(sort_field), F("id")]
    else:
        columns = [F(column) for column in SORTS[filters.sort.removeprefix("-")]]
    # Empty values last either way; ties broken by id in the same direction, so that paging
    # is stable.
    order: list[OrderBy] = [
        column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
        for column in columns
    ]
    return deals.order_by(*order)


def deals_list_page(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """The columns a page of the list shows, joined in the same query."""
    return deals_with_figures(
        deals.select_related("pipeline", "stage", "owner", "organization", "person")
    )


def custom_cells(deals: list[Deal], fields: Sequence[CustomField]) -> None:
    """``deal.custom_cells``: each shown field's value as the page writes it, in the order
    of ``fields``. User fields' names in one query for the page (none without one)."""
    names = user_names(fields, (deal.custom_fields for deal in deals))
    for deal in deals:
        deal.custom_cells = [
            {
                "field": custom,
                "text": value_text(custom, deal.custom_fields.get(custom.key), names),
                "numeric": custom.type in types.DECIMAL_TYPES,
            }
            for custom in fields
        ]


def list_pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.order_by("-is_active", "name", "id")
