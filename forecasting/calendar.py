"""Months of the forecast and the dashboards, in the company time zone (today:
pipelinecrm/calendar.py)."""

import datetime


def month_shift(month: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(start_month: datetime.date, end_month: datetime.date) -> list[datetime.date]:
    """First days of the months from ``start_month`` to ``end_month``, both included."""
    first = start_month.replace(day=1)
    count = (end_month.year - first.year) * 12 + end_month.month - first.month + 1
    return [month_shift(first, n) for n in range(count)]
