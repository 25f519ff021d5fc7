"""Today in the company's time zone (settings.TIME_ZONE, docs/domain/deals.md), whatever the
server's or a request's: the day the board, the deal page and the forecast agree on."""

import datetime

from django.utils import timezone


def company_today(now: datetime.datetime | None = None) -> datetime.date:
    return timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
