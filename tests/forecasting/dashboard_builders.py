"""Builders and plain-Python reference figures for the dashboard tests.

Deals are created and moved through the services; closing times, creation times and
stage-change times are then set with UPDATEs, because the services stamp "now" and the
tests need deals in chosen months. ``expected_figures`` recomputes what the dashboards
show with Python over the rows, independently of the SQL the dashboards run.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from deals.models import Deal, LostReason
from deals.services.moves import deal_mark_lost, deal_mark_won
from tests.factories import make_deal

CENT = Decimal("0.01")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """An instant in the company time zone (TIME_ZONE, as set by the test)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_default_timezone())


def today() -> datetime.date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def month_start(day: datetime.date, shift: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 + shift
    return datetime.date(index // 12, index % 12 + 1, 1)


def reason(name: str = "Price") -> LostReason:
    return LostReason.objects.get_or_create(name=name)[0]


def won_deal(owner, pipeline, *, closed_at, created_at=None, stage=None, **fields) -> Deal:
    deal = make_deal(owner, pipeline, stage, **fields)
    deal_mark_won(user=owner, deal=deal, version=None)
    return redate(deal, closed_at=closed_at, created_at=created_at)


def lost_deal(owner, pipeline, *, closed_at, why: str = "Price", stage=None, **fields) -> Deal:
    deal = make_deal(owner, pipeline, stage, **fields)
    deal_mark_lost(user=owner, deal=deal, version=None, reason=reason(why))
    return redate(deal, closed_at=closed_at)


def redate(deal: Deal, **times) -> Deal:
    """Set timestamps the services stamped with now (closed_at, created_at, …)."""
    times = {name: value for name, value in times.items() if value is not None}
    if times:
        Deal.objects.filter(pk=deal.pk).update(**times)
    return Deal.objects.select_related("stage").get(pk=deal.pk)


def stall(deal: Deal, *, since: datetime.datetime) -> Deal:
    Deal.objects.filter(pk=deal.pk).update(is_stalled=True, stalled_since=since)
    return Deal.objects.get(pk=deal.pk)


@dataclass
class Expected:
    """What the dashboard should show for one owner, worked out in Python."""

    open_value: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    open_count: int = 0
    won_value: Decimal = Decimal(0)
    won_count: int = 0
    won_values: list[Decimal] = field(default_factory=list)
    lost_count: int = 0
    cycles: list[datetime.timedelta] = field(default_factory=list)
    stalled: int = 0

    @property
    def forecast(self) -> Decimal:
        return (self.won_value + self.weighted).quantize(CENT)

    @property
    def win_rate(self) -> Decimal | None:
        closed = self.won_count + self.lost_count
        if not closed:
            return None
        return (Decimal(self.won_count) * 100 / closed).quantize(Decimal("0.1"))

    @property
    def average_deal_size(self) -> Decimal | None:
        if not self.won_values:
            return None
        return (sum(self.won_values) / len(self.won_values)).quantize(CENT)

    @property
    def average_cycle_days(self) -> Decimal | None:
        if not self.cycles:
            return None
        seconds = sum(cycle.total_seconds() for cycle in self.cycles)
        return (Decimal(seconds) / 86400 / len(self.cycles)).quantize(Decimal("0.1"))


def expected_figures(
    deals: list[Deal], *, start: datetime.date, end: datetime.date, today: datetime.date
) -> dict[int, Expected]:
    """Per owner id: the forecast rule and the figures
    of docs/domain/stalls-and-forecast.md, by hand.

    An open deal counts in its expected close month, or in the current month once that
    date has passed; a closed deal counts in the company-time-zone month it closed.
    """
    zone = timezone.get_default_timezone()
    this_month = today.replace(day=1)
    figures: dict[int, Expected] = defaultdict(Expected)
    for deal in deals:
        owner = figures[deal.owner_id]
        probability = (
            deal.probability_override
            if deal.probability_override is not None
            else deal.stage.probability
        )
        if deal.status == Deal.Status.OPEN:
            owner.stalled += deal.is_stalled
            close = deal.expected_close_date
            if close is None:
                continue
            month = this_month if close < today else close.replace(day=1)
            if start <= month < end:
                owner.open_count += 1
                owner.open_value += deal.value or 0
                owner.weighted += (deal.value or 0) * probability / Decimal(100)
            continue
        closed_on = timezone.localtime(deal.closed_at, zone).date()
        if not start <= closed_on < end:
            continue
        if deal.status == Deal.Status.WON:
            owner.won_count += 1
            owner.won_value += deal.value or 0
            if deal.value is not None:
                owner.won_values.append(deal.value)
            owner.cycles.append(deal.closed_at - deal.created_at)
        else:
            owner.lost_count += 1
    for owner in figures.values():
        owner.weighted = owner.weighted.quantize(CENT, rounding=ROUND_HALF_UP)
    return figures
