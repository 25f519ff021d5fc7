"""The board's cards as plain rows: what a card shows, read with ``values()``.

A board page shows up to 50 cards a column; building a model instance for each card, its
owner and its organization cost more than the SQL (docs/performance/board-page.md). A
``Card`` carries exactly what the card partial, the checklist progress and the edit mark
need, with the attribute names of ``Deal``, so the rules of deals/checklist_rules.py apply
to both; and the custom fields it shows as "Name: value" lines
(docs/domain/custom-fields.md, "Where values show").
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from deals.models import Activity, Deal
from deals.selectors.custom_values import user_names as custom_user_names
from deals.selectors.custom_values import value_text
from pipelinecrm.formats import PageFormats
from pipelines import custom_fields as types
from pipelines.models import CustomField
from pipelines.selectors import custom_fields_for

# A card shows at most this many custom fields, each cut to about one line.
CARD_FIELD_LINES = 3
CARD_FIELD_CHARS = 40
SPACES = re.compile(r"[ \t\r\n]+")


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
    pipeline_id: int
    # ("Budget", "12,500 €") per field shown on the card, set by ``card_rows``; None: the
    # page keeps the lines it shows (a dragged card, whose values a drag cannot change).
    custom_lines: list[tuple[str, str]] | None = None
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
        """The card of a decorated deal model (a dragged deal): its custom-field lines are
        those the page shows (``custom_lines`` None) unless the deal carries its own."""
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
            pipeline_id=deal.pipeline_id,
            custom_lines=getattr(deal, "custom_lines", None),
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
    "pipeline_id",
)


def card_rows(deals: QuerySet[Deal], *, fields: list[CustomField] | None = None) -> list[Card]:
    """``deals`` (ordered, sliced or filtered as the caller needs) as cards with their
    custom-field lines: one query, one for the fields shown on cards (when there are
    cards and the caller did not pass its pipeline's ``fields``, as the board page does)
    and one for user names (when a user field on the cards has a value);
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
    add_custom_lines(cards, fields=fields)
    return cards


def card_fields(pipeline_ids: set[int]) -> list[CustomField]:
    """The active fields marked "show on card" of these pipelines' deals: one query per
    pipeline (the cards of a render are one board's)."""
    fields: dict[int, CustomField] = {}
    for pipeline_id in sorted(pipeline_ids):
        fields |= {f.pk: f for f in custom_fields_for(pipeline_id) if f.show_on_card}
    return sorted(fields.values(), key=lambda field: (field.position, field.pk))


def add_custom_lines(cards: list[Card], *, fields: list[CustomField] | None = None) -> None:
    """Each card's "Name: value" lines: the first ``CARD_FIELD_LINES`` fields shown on
    cards that have a value, in designer order, each value cut to one short line and
    formatted once per distinct value (docs/performance/board-page.md)."""
    if not cards:
        return
    if fields is None:
        fields = card_fields({card.pipeline_id for card in cards})
    else:
        fields = [field for field in fields if field.show_on_card]
    names = custom_user_names(fields, (card.custom_fields for card in cards)) if fields else {}
    # Amounts as the card prints its value: whole, the locale's conventions read once
    # (``money`` costs a tenth of a millisecond each, and amounts rarely repeat).
    amounts = PageFormats() if any(f.type == CustomField.Type.MONEY for f in fields) else None
    texts: dict[tuple[str, str], str] = {}
    for card in cards:
        card.custom_lines = []
        for field in fields:
            stored = card.custom_fields.get(field.key)
            if stored is None or field.pipeline_id not in (None, card.pipeline_id):
                continue
            seen = (field.key, repr(stored))
            if seen not in texts:
                texts[seen] = _one_line(_card_text(field, stored, names, amounts))
            if texts[seen]:
                card.custom_lines.append((field.name, texts[seen]))
            if len(card.custom_lines) == CARD_FIELD_LINES:
                break


def _card_text(field: CustomField, stored, names: dict, amounts: PageFormats | None) -> str:
    if field.type == CustomField.Type.MONEY and amounts is not None:
        amount = types.to_python(field, stored)
        return "" if amount is None else amounts.money(amount)
    return value_text(field, stored, names)


def _one_line(text: str) -> str:
    """Line breaks and runs of spaces as one space (a no-break space in "12.500 €" stays),
    cut with "…" (a slice: Django's Truncator costs a tenth of a millisecond a call)."""
    text = SPACES.sub(" ", text).strip()
    if len(text) <= CARD_FIELD_CHARS:
        return text
    return text[: CARD_FIELD_CHARS - 1].rstrip() + "…"
