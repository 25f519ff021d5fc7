"""Reads shaped for the deal page, the deals list (and its CSV export), "My activities" and
notifications.

Each function costs a fixed number of queries, whatever the number of rows behind it.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import active_users, managed_user_ids
from deals.access import can_edit, can_override, deals_visible_to, visible_through_deal
from deals.models import Activity, Deal, LostReason, Notification
from deals.selectors import (
    BoardFilters,
    deals_filtered,
    deals_with_figures,
    is_ascii_number,
    search_text,
)
from deals.services.checklist import items_with_state
from deals.timeline import deal_timeline
from pipelines.models import ChecklistItem, Pipeline, Stage

# -- who may receive a deal ---------------------------------------------------------------


def reassign_choices(user: User) -> QuerySet[User] | None:
    """Users ``user`` may hand deals to
    (docs/domain/roles-and-visibility.md), or None for reps, who cannot.

    Managers give to members of the teams they manage, admins to any active user; whether
    a particular deal may be given is still decided by ``can_reassign_to``.
    """
    users = active_users()
    if user.role == Role.ADMIN:
        return users
    if user.role == Role.MANAGER:
        return users.filter(pk__in=managed_user_ids(user=user))
    return None


# -- the deal page ------------------------------------------------------------------------

DEAL_PAGE_QUERYSET = Deal.objects.select_related(
    "pipeline", "stage", "owner", "organization", "person", "lost_reason"
)


@dataclass
class DealPage:
    deal: Deal
    stages: list[Stage]
    next_stage: Stage | None
    entry_items: list[ChecklistItem]
    exit_items: list[ChecklistItem]
    next_entry_items: list[ChecklistItem]
    open_activities: list[Activity]
    done_activities: list[Activity]
    timeline: list
    editable: bool
    overridable: bool
    owner_choices: QuerySet[User] | None
    lost_reasons: list[LostReason] = field(default_factory=list)


def deal_page(*, user: User, deal: Deal) -> DealPage:
    """Everything the deal page shows; a constant number of queries."""
    editable = can_edit(user, deal)
    stages = list(
        Stage.objects.filter(pipeline_id=deal.pipeline_id, is_archived=False).order_by(
            "position", "id"
        )
    )
    next_stage = next((s for s in stages if s.position > deal.stage.position), None)
    scope = Q(stage_id=deal.stage_id)
    if next_stage is not None:
        scope |= Q(stage=next_stage, kind=ChecklistItem.Kind.ENTRY)
    items = items_with_state(
        deal=deal,
        items=ChecklistItem.objects.filter(scope, is_archived=False).order_by(
            "stage__position", "kind", "position", "id"
        ),
    )
    entry_items = [i for i in items if i.stage_id == deal.stage_id and i.kind == "entry"]
    exit_items = [i for i in items if i.stage_id == deal.stage_id and i.kind == "exit"]
    next_entry_items = [i for i in items if i.stage_id != deal.stage_id]
    now = timezone.now()
    activities = list(Activity.objects.filter(deal=deal).select_related("owner"))
    for activity in activities:
        activity.is_overdue = (
            activity.done_at is None and activity.due_at is not None and activity.due_at < now
        )
    open_activities = sorted(
        (a for a in activities if a.done_at is None),
        key=lambda a: (a.due_at is None, a.due_at or now, a.pk),
    )
    done_activities = sorted(
        (a for a in activities if a.done_at is not None), key=lambda a: a.done_at, reverse=True
    )
    owner_choices = reassign_choices(user) if editable else None
    return DealPage(
        deal=deal,
        stages=stages,
        next_stage=next_stage,
        entry_items=entry_items,
        exit_items=exit_items,
        next_entry_items=next_entry_items,
        open_activities=open_activities,
        done_activities=done_activities,
        timeline=deal_timeline(deal=deal, activities=activities),
        editable=editable,
        overridable=editable and can_override(user, deal),
        owner_choices=owner_choices,
        lost_reasons=list(LostReason.objects.filter(is_active=True)) if editable else [],
    )


# -- the deals list and its export ---------------------------------------------------------

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


# -- "My activities" ----------------------------------------------------------------------

TABS = ("overdue", "today", "upcoming", "done")


@dataclass(frozen=True)
class ActivityFilters:
    tab: str = "overdue"
    kind: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params) -> "ActivityFilters":
        tab = params.get("tab", "")
        kind = params.get("kind", "")
        return cls(
            tab=tab if tab in TABS else "",
            kind=kind if kind in {k for k, _ in Activity._meta.get_field("kind").choices} else "",
            q=search_text(params),
        )

    def as_query(self, **overrides) -> dict[str, str]:
        query = {"tab": self.tab, "kind": self.kind, "q": self.q} | overrides
        return {key: value for key, value in query.items() if value}


def today_bounds() -> tuple[datetime.datetime, datetime.datetime]:
    """Start and end of today in the company time zone (docs/domain/deals.md)."""
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def _tab_conditions(now: datetime.datetime) -> dict[str, Q]:
    _, end_of_today = today_bounds()
    open_ = Q(done_at__isnull=True)
    return {
        "overdue": open_ & Q(due_at__lt=now),
        "today": open_ & Q(due_at__gte=now, due_at__lt=end_of_today),
        "upcoming": open_ & (Q(due_at__gte=end_of_today) | Q(due_at__isnull=True)),
        "done": Q(done_at__isnull=False),
    }


def my_activities(
    *, user: User, filters: ActivityFilters
) -> tuple[dict[str, int], str, QuerySet[Activity]]:
    """Counts per tab (one query), the tab to show and its activities (one query)."""
    now = timezone.now()
    conditions = _tab_conditions(now)
    mine = visible_through_deal(Activity.objects.filter(owner=user), user)
    if filters.kind:
        mine = mine.filter(kind=filters.kind)
    if filters.q:
        mine = mine.filter(deal__title__icontains=filters.q)
    counts = mine.aggregate(
        **{tab: Coalesce(Count("pk", filter=condition), 0) for tab, condition in conditions.items()}
    )
    tab = filters.tab or next((t for t in ("overdue", "today") if counts[t]), "upcoming")
    rows = mine.filter(conditions[tab]).select_related("deal", "deal__organization")
    if tab == "done":
        rows = rows.order_by("-done_at", "-id")
    else:
        rows = rows.order_by(Coalesce("due_at", now + datetime.timedelta(days=36500)), "id")
    return counts, tab, rows


# -- notifications ----------------------------------------------------------------------------


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's own notifications, each annotated with ``deal_visible``: whether they may
    still see its deal (a reassigned one, say), which decides whether its title is shown.
    One subquery per row, in the same statement."""
    still_visible = deals_visible_to(user).filter(pk=OuterRef("deal_id"))
    return Notification.objects.filter(recipient=user).annotate(deal_visible=Exists(still_visible))
