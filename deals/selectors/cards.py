"""The board's cards as plain rows: what a card shows, read with ``values()``.

A board page shows up to 50 cards a column; building a model instance for each card, its
owner and its organization cost more than the SQL (docs/performance/board-page.md). A
``Card`` carries exactly what the card partial, the checklist progress and the edit mark
need, with the attribute names of ``Deal``, so the rules of deals/checklist_rules.py apply
to both.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from deals.models import Activity, Deal


@dataclass(slots=True)
class Card:
    id: int
    title: str
    version: int
    value: Decimal | None
    expected_close_date: datetime.date | None
    stage_id: int
    stage_entered_at: datetime.datetime
    owner_id: int
    organization_id: int | None
    person_id: int | None
    organization_name: str | None
    owner_name: str
    owner_initials: str
    is_stalled: bool
    stalled_since: datetime.datetime | None
    custom_fields: dict
    # Set by decorate_cards (deals/selectors/board.py).
    has_next_activity: bool = False
    has_overdue_activity: bool = False
    checklist_required: int = 0
    checklist_done: int = 0
    is_editable: bool = False
    stalled_days: int | None = None

    @property
    def pk(self) -> int:
        return self.id

    @classmethod
    def from_deal(cls, deal: Deal) -> "Card":
        """The card of a decorated deal model (a moved deal, a re-read one)."""
        owner = deal.owner
        return cls(
            id=deal.pk,
            title=deal.title,
            version=deal.version,
            value=deal.value,
            expected_close_date=deal.expected_close_date,
            stage_id=deal.stage_id,
            stage_entered_at=deal.stage_entered_at,
            owner_id=deal.owner_id,
            organization_id=deal.organization_id,
            person_id=deal.person_id,
            organization_name=deal.organization.name if deal.organization_id else None,
            owner_name=owner.display_name,
            owner_initials=owner.initials,
            is_stalled=deal.is_stalled,
            stalled_since=deal.stalled_since,
            custom_fields=deal.custom_fields,
            has_next_activity=deal.has_next_activity,
            has_overdue_activity=deal.has_overdue_activity,
            checklist_required=deal.checklist_required,
            checklist_done=deal.checklist_done,
            is_editable=deal.is_editable,
            stalled_days=deal.stalled_days,
        )


# The card's activity badges: an open activity (a next step is planned), an overdue one.
OPEN_ACTIVITY = Q(done_at__isnull=True)


def overdue_activity(now: datetime.datetime) -> Q:
    return OPEN_ACTIVITY & Q(due_at__lt=now)


def card_activity_flags() -> dict[str, Exists]:
    """The card's activity badges as annotations, for reads of single deals; pages of
    cards get them from ``decorate_cards``' one query over all their activities."""
    activities = Activity.objects.filter(deal=OuterRef("pk"))
    return {
        "has_next_activity": Exists(activities.filter(OPEN_ACTIVITY)),
        "has_overdue_activity": Exists(activities.filter(overdue_activity(timezone.now()))),
    }


# The columns read straight into Card; the owner's name and initials are derived once per
# owner (a board shows a handful of owners) by the User model's own rules.
CARD_COLUMNS = (
    "id",
    "title",
    "version",
    "value",
    "expected_close_date",
    "stage_id",
    "stage_entered_at",
    "owner_id",
    "organization_id",
    "person_id",
    "organization_name",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "is_stalled",
    "stalled_since",
    "custom_fields",
)


def card_rows(deals: QuerySet[Deal]) -> list[Card]:
    """``deals`` (ordered, sliced or filtered as the caller needs) as cards, in one query;
    ``decorate_cards`` adds the badges."""
    rows = deals.annotate(organization_name=F("organization__name")).values_list(*CARD_COLUMNS)
    owners: dict[int, tuple[str, str]] = {}
    cards = []
    for row in rows:
        owner_id, first, last, username = row[7], row[11], row[12], row[13]
        if owner_id not in owners:
            owner = User(first_name=first, last_name=last, username=username)
            owners[owner_id] = (owner.display_name, owner.initials)
        cards.append(Card(*row[:11], *owners[owner_id], *row[14:]))
    return cards
