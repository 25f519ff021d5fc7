"""Reads of "My activities": counts per tab and the rows of one, in two queries."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import User
from deals.access import visible_through_deal
from deals.models import Activity
from deals.selectors.filters import search_text

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


# -- quick due dates -----------------------------------------------------------------------------

# The hour a quick due date falls on, in company time (docs/domain/deals.md).
QUICK_DUE_HOUR = 9
QUICK_DUE_LABELS = {
    "tomorrow": gettext_lazy("Tomorrow"),
    "in3days": gettext_lazy("In 3 days"),
    "nextweek": gettext_lazy("Next week"),
}


@dataclass(frozen=True)
class QuickDue:
    key: str
    label: str
    at: datetime.datetime

    @property
    def local_value(self) -> str:
        """The value a ``datetime-local`` input takes (company time zone)."""
        return timezone.localtime(self.at).strftime("%Y-%m-%dT%H:%M")


def quick_due_at(key: str, *, now: datetime.datetime | None = None) -> datetime.datetime:
    """Tomorrow, in three days, or the Monday of next week, at 09:00 in the company time zone
    (docs/domain/deals.md)."""
    today = timezone.localdate(now or timezone.now())
    if key == "tomorrow":
        day = today + datetime.timedelta(days=1)
    elif key == "in3days":
        day = today + datetime.timedelta(days=3)
    elif key == "nextweek":
        day = today + datetime.timedelta(days=7 - today.weekday())
    else:
        raise ValueError(key)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(QUICK_DUE_HOUR)))


def quick_due_choices(*, now: datetime.datetime | None = None) -> list[QuickDue]:
    """The quick due dates offered next to an activity's due field and after one is done."""
    return [
        QuickDue(key=key, label=str(label), at=quick_due_at(key, now=now))
        for key, label in QUICK_DUE_LABELS.items()
    ]
