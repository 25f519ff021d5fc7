"""Amounts, numbers and dates in the active language's conventions (docs/i18n.md).

Amounts follow the language's currency pattern from the CLDR data in Babel, with the
company's currency (settings.CURRENCY): ``12.500 €`` in German, ``€ 12.500`` in Dutch,
``€12,500`` in English. Numbers and dates follow Django's locale formats. Every page, chart
and table prints amounts through ``money`` (the ``|money`` filter); the board's cards use
``PageFormats``, which reads the conventions once per render
(docs/performance/board-page.md) and prints what ``money`` prints.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency
from django.conf import settings
from django.utils import dateformat, translation
from django.utils.formats import get_format

from pipelinecrm.calendar import company_today


def _quantize(amount: Decimal | int | float, digits: int) -> Decimal:
    """Rounded half up, as people and Django's ``floatformat`` round (Babel rounds half even)."""
    return Decimal(str(amount)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


@lru_cache(maxsize=32)
def _currency_format(language: str, digits: int) -> tuple[Locale, str]:
    """The language's currency pattern (positive part) with ``digits`` decimals."""
    locale = Locale.parse(translation.to_locale(language))
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    decimals = "." + "0" * digits if digits else ""
    return locale, pattern.replace("0.00", "0" + decimals)


def money(amount: Decimal | int | float, digits: int = 0) -> str:
    """``amount`` in the company currency, as the active language writes amounts."""
    locale, pattern = _currency_format(translation.get_language() or settings.LANGUAGE_CODE, digits)
    return format_currency(
        _quantize(amount, digits),
        settings.CURRENCY,
        format=pattern,
        locale=locale,
        currency_digits=False,
    )


def currency_affixes() -> tuple[str, str]:
    """What the active language writes before and after a whole amount (``("€ ", "")``)."""
    before, _, after = money(0).partition("0")
    return before, after


WHOLE = Decimal(1)


class PageFormats:
    """The active language's formats, for one render."""

    def __init__(self) -> None:
        self.thousands = get_format("THOUSAND_SEPARATOR")
        self.before, self.after = currency_affixes()
        self._close_days: dict[date, str] = {}
        self.today = company_today()

    def whole(self, amount: Decimal) -> str:
        """``amount`` rounded half up and grouped by thousands: ``floatformat:"0g"``."""
        number = int(Decimal(amount).quantize(WHOLE, rounding=ROUND_HALF_UP))
        return f"{number:,}".replace(",", self.thousands)

    def money(self, amount: Decimal) -> str:
        """``money(amount)``: the whole amount with the currency where the language puts it
        (a negative one, rare on a board, by ``money`` itself: its sign's place varies)."""
        if amount < 0:
            return money(amount)
        return f"{self.before}{self.whole(amount)}{self.after}"

    def close_date(self, day: date) -> str:
        """``close_date(day, today)``, once per distinct day: a page repeats few."""
        if day not in self._close_days:
            self._close_days[day] = close_date(day, self.today)
        return self._close_days[day]


def close_date(day: date, today: date) -> str:
    """An expected close date as cards and the deal page print it: ``7 Dec``, with the year
    when it is not ``today``'s (``7 Dec 2025``)."""
    return dateformat.format(day, "j M" if day.year == today.year else "j M Y")
