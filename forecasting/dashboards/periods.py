"""Months and quarters in the company time zone
(TIME_ZONE, docs/domain/deals.md): periods are compared as
aware datetimes at its midnights, so a deal closed at 23:30 on the last evening of a month
counts in that month."""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from forecasting.calendar import month_shift


def company_midnight(day: datetime.date) -> datetime.datetime:
    """The instant ``day`` begins in the company time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter: ``start`` its first day, ``end`` the first day after."""

    kind: str
    start: datetime.date
    end: datetime.date

    KINDS = ("month", "quarter")

    @classmethod
    def of(cls, kind: str, day: datetime.date) -> "Period":
        if kind == "quarter":
            start = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls("quarter", start, month_shift(start, 3))
        start = day.replace(day=1)
        return cls("month", start, month_shift(start, 1))

    @classmethod
    def from_query(cls, params, *, today: datetime.date) -> "Period":
        """``?period=month|quarter&date=YYYY-MM``; anything else means this month."""
        kind = params.get("period", "month")
        day = today
        match = re.fullmatch(r"(\d{4})-(\d{2})", params.get("date", "").strip())
        if match and 1900 <= int(match[1]) <= 2999 and 1 <= int(match[2]) <= 12:
            day = datetime.date(int(match[1]), int(match[2]), 1)
        return cls.of(kind if kind in cls.KINDS else "month", day)

    @property
    def months(self) -> list[datetime.date]:
        count = 3 if self.kind == "quarter" else 1
        return [month_shift(self.start, n) for n in range(count)]

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        """``December 2026`` or ``Q4 2026``, in the active language."""
        if self.kind == "quarter":
            # Translators: a calendar quarter, e.g. "Q4 2026".
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        return dateformat.format(self.start, "F Y")

    @property
    def start_at(self) -> datetime.datetime:
        return company_midnight(self.start)

    @property
    def end_at(self) -> datetime.datetime:
        return company_midnight(self.end)

    def shifted(self, steps: int) -> "Period":
        return Period.of(self.kind, month_shift(self.start, steps * len(self.months)))

    def query(self) -> dict[str, str]:
        return {"period": self.kind, "date": self.start.strftime("%Y-%m")}

    def closed_q(self, prefix: str = "") -> Q:
        return self.changed_q(f"{prefix}closed_at")

    def changed_q(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__gte": self.start_at, f"{field_name}__lt": self.end_at})
