"""flag_stalled_deals (docs/domain/stalls-and-forecast.md):
which open deals have stopped making progress.

A deal is stalled when it is open, its stage has a stall threshold, and
now − max(stage entered at, last activity at) strictly exceeds threshold × 24 h; it has
been stalled since max(…) + threshold. ``last_activity_at`` only ever holds done
activities, so scheduling one, editing the deal or ticking an item does not reset it.

A run is a fixed handful of set-based statements whatever the number of deals (a large
backlog is flagged in batches of FLAG_BATCH): read the thresholds, flag by compare-and-swap
(only rows still ``NOT is_stalled`` are claimed, so a rerun or a second worker notifies
nobody twice), record an event and a notification per newly stalled deal, then un-flag or
re-date what the rule no longer supports (a threshold raised or removed, a deal closed) as
a safety net behind the services that clear the flag themselves.

Every condition is on the deal row the UPDATE writes (the thresholds are constants in the
statement, not a join): PostgreSQL re-checks them on the latest version of a row it had to
wait for, so a deal moved or flagged concurrently is not flagged on stale data.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from deals.models import Deal, DealEvent
from deals.services.events import deal_events_doorbell
from deals.services.notifications import (
    BATCH_SIZE,
    Notice,
    NotificationKind,
    notices_email,
    notices_record,
)
from forecasting.services.claims import rows_claim
from pipelines.models import Stage

# Deals flagged per transaction: a first run over a large backlog holds the row locks of at
# most this many deals at a time (a move of one of them waits for one batch, not the run).
FLAG_BATCH = 5000
# Greatest() skips NULLs on PostgreSQL but returns NULL on SQLite: never pass it one.
LAST_PROGRESS = Greatest("stage_entered_at", Coalesce("last_activity_at", "stage_entered_at"))
# Lazy: the email is written per recipient, in their language.
STALLED_SUBJECT = gettext_lazy("deals of yours have stalled")


@dataclass(frozen=True)
class StallRule:
    """The rule for the current thresholds (stage id → days), as SQL expressions."""

    thresholds: dict[int, int]

    @classmethod
    def current(cls) -> "StallRule":
        stages = Stage.objects.filter(stall_threshold_days__isnull=False).order_by()
        return cls(dict(stages.values_list("pk", "stall_threshold_days")))

    def stalls_at(self) -> ExpressionWrapper:
        """max(stage entered at, last activity at) + threshold; NULL without a threshold."""
        threshold = Case(
            *(
                When(stage_id=stage_id, then=Value(timedelta(days=days)))
                for stage_id, days in self.thresholds.items()
            ),
            default=None,
            output_field=DurationField(),
        )
        return ExpressionWrapper(LAST_PROGRESS + threshold, output_field=DateTimeField())

    def candidates(self, now: datetime) -> Q:
        """Deals of a stage with a threshold that entered it over a threshold ago.

        Last progress is never before stage entry, so every stalled deal is among these;
        the condition is what deal_open_stall_scan_idx (stage, stage entered at) answers
        for flag_stalled_deals, instead of a scan of every open deal.
        """
        return reduce(
            or_,
            (
                Q(stage_id=stage_id, stage_entered_at__lt=now - timedelta(days=days))
                for stage_id, days in self.thresholds.items()
            ),
        )


@dataclass(frozen=True)
class StallRun:
    flagged: int
    corrected: int


def deals_flag_stalled(*, now: datetime | None = None) -> StallRun:
    """Apply the rule as of ``now`` (default: the present).

    Writes are stamped with the real clock whatever ``now`` says: live refresh compares
    ``updated_at`` with the time it last looked.
    """
    written_at = timezone.now()
    now = now or written_at
    rule = StallRule.current()
    deals = Deal.objects.alias(stalls_at=rule.stalls_at())
    holds = Q(status=Deal.Status.OPEN, stalls_at__lt=now)
    notices: list[Notice] = []
    if rule.thresholds:
        stalled = deals.filter(rule.candidates(now), holds, is_stalled=False)
        while True:
            with transaction.atomic():
                batch = rows_claim(
                    stalled.filter(pk__in=stalled.order_by().values("pk")[:FLAG_BATCH]),
                    returning=("id", "owner", "title", "stalled_since"),
                    is_stalled=True,
                    stalled_since=F("stalls_at"),
                    updated_at=written_at,
                )
                notices += _announce(batch, at=written_at)
            if len(batch) < FLAG_BATCH:
                break
    notices_email(notices=notices, subject=STALLED_SUBJECT)
    # The safety net, in one pass over the flagged deals: un-flag those the rule no longer
    # holds for (threshold raised or removed, deal closed), re-date the others if their
    # threshold changed.
    no_longer = ~Q(status=Deal.Status.OPEN) | Q(stalls_at__isnull=True) | Q(stalls_at__gte=now)
    corrected = (
        deals.filter(is_stalled=True)
        .filter(no_longer | (holds & ~Q(stalled_since=F("stalls_at"))))
        .update(
            is_stalled=Case(When(holds, then=Value(True)), default=Value(False)),
            stalled_since=Case(When(holds, then=F("stalls_at")), default=None),
            updated_at=written_at,
        )
    )
    return StallRun(flagged=len(notices), corrected=corrected)


def _announce(deals: list[dict], *, at: datetime) -> list[Notice]:
    """One "stalled" event on each deal's timeline and one notification for its owner."""
    DealEvent.objects.bulk_create(
        [
            DealEvent(
                deal_id=deal["id"],
                kind=DealEvent.Kind.STALLED,
                user=None,
                data={"stalled_since": deal["stalled_since"].isoformat()},
                created_at=at,
            )
            for deal in deals
        ],
        batch_size=BATCH_SIZE,
    )
    deal_events_doorbell()
    # The text is stored as written, so it is written in its recipient's language.
    owners = User.objects.only("pk", "language").in_bulk({deal["owner_id"] for deal in deals})
    notices = []
    for deal in deals:
        with owners[deal["owner_id"]].own_language():
            text = _(
                "“%(deal)s” has stalled (since %(day)s): no move or done activity within its "
                "stage's stall threshold."
            ) % {"deal": deal["title"], "day": _local_day(deal["stalled_since"])}
        notices.append(
            Notice(
                recipient_id=deal["owner_id"],
                kind=NotificationKind.STALLED,
                deal_id=deal["id"],
                text=text,
            )
        )
    notices_record(notices=notices)
    return notices


def _local_day(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "j M Y")
