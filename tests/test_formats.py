"""The board's fast formatting prints what Django's filters print."""

import datetime
from decimal import Decimal

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation

from pipelinecrm.formats import PageFormats, money
from pipelinecrm.url_templates import url_pattern

AMOUNTS = ["0", "0.49", "0.5", "1.5", "2.5", "999.50", "1000", "12500", "12500.49", "1234567.5"]


def test_whole_amounts_match_floatformat_0g():
    formats = PageFormats()
    for amount in map(Decimal, AMOUNTS):
        assert formats.whole(amount) == floatformat(amount, "0g"), amount


def test_close_dates_of_this_year_match_the_date_filter_across_a_year():
    formats = PageFormats()
    formats.today = datetime.date(2026, 6, 1)
    day = datetime.date(2026, 1, 1)
    while day.year == 2026:
        assert formats.close_date(day) == date_filter(day, "j M"), day
        day += datetime.timedelta(days=9)


def test_url_patterns_give_the_reversed_url_for_every_id():
    for name in ("deal-move", "deal-detail", "deal-dialog"):
        pattern = url_pattern(name)
        for pk in (1, 42, 918273):
            assert pattern % pk == reverse(name, args=[pk])


# A deal's value is never negative (deal_value_not_negative), nor is a column's total.
AMOUNTS_FOR_MONEY = [*AMOUNTS, "1000000", "999999999999.99"]


@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_the_cards_money_prints_what_the_money_filter_prints(language):
    """The board's cards (PageFormats, read once per render) and every other page
    (``|money``) print an amount alike, in each language."""
    with translation.override(language):
        formats = PageFormats()
        for amount in map(Decimal, AMOUNTS_FOR_MONEY):
            assert formats.money(amount) == money(amount), (language, amount)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "€12,500"), ("de", "12.500\u00a0€"), ("nl", "€\u00a012.500")],
)
def test_money_follows_the_languages_convention(language, expected):
    with translation.override(language):
        assert PageFormats().money(Decimal("12499.5")) == expected
        assert money(Decimal("12499.5")) == expected
