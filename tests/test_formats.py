"""The board's fast formatting prints what Django's filters print."""

import datetime
from decimal import Decimal

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse

from pipelinecrm.formats import PageFormats
from pipelinecrm.url_templates import url_pattern

AMOUNTS = ["0", "0.49", "0.5", "1.5", "2.5", "999.50", "1000", "12500", "12500.49", "1234567.5"]


def test_whole_amounts_match_floatformat_0g():
    formats = PageFormats()
    for amount in map(Decimal, AMOUNTS):
        assert formats.whole(amount) == floatformat(amount, "0g"), amount


def test_day_month_matches_the_date_filter_across_a_year():
    formats = PageFormats()
    day = datetime.date(2026, 1, 1)
    while day.year == 2026:
        assert formats.day_month(day) == date_filter(day, "j M"), day
        day += datetime.timedelta(days=9)


def test_url_patterns_give_the_reversed_url_for_every_id():
    for name in ("deal-move", "deal-detail", "deal-dialog"):
        pattern = url_pattern(name)
        for pk in (1, 42, 918273):
            assert pattern % pk == reverse(name, args=[pk])
