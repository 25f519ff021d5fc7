"""Numbers and dates for pages that print hundreds of them (the board's cards).

Django's ``floatformat`` and ``date`` filters look the locale's conventions up on every
call; here they are read once per render (docs/performance/board-page.md). The output is
the filters' own, which tests/test_formats.py checks.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import dateformat
from django.utils.formats import get_format

WHOLE = Decimal(1)


class PageFormats:
    """The active locale's formats, for one render."""

    def __init__(self) -> None:
        self.thousands = get_format("THOUSAND_SEPARATOR")
        self._days: dict[date, str] = {}

    def whole(self, amount: Decimal) -> str:
        """``amount`` rounded half up and grouped by thousands: ``floatformat:"0g"``."""
        number = int(Decimal(amount).quantize(WHOLE, rounding=ROUND_HALF_UP))
        return f"{number:,}".replace(",", self.thousands)

    def day_month(self, day: date) -> str:
        """``day`` as ``date:"j M"`` prints it; a page repeats few distinct days."""
        if day not in self._days:
            self._days[day] = dateformat.format(day, "j M")
        return self._days[day]
