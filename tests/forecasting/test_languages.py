"""The dashboards, the quota grid and the stall and reminder notices in the user's
language (docs/i18n.md): German and Dutch words, amounts as the language writes them,
numbers typed the language's way, notices stored in their recipient's language.

Tests asserting German or Dutch words need the compiled catalogs (``make test`` compiles
them); amounts and number input come from Babel and Django's locale formats.
"""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone, translation

from deals.models import Deal, Notification
from deals.services.activities import activity_log
from forecasting.dashboards.periods import Period
from forecasting.models import Quota
from forecasting.services.reminders import activities_remind
from forecasting.services.stalls import deals_flag_stalled
from pipelines.models import Stage
from tests.factories import make_deal, speaking
from tests.forecasting.dashboard_builders import month_start, today

NBSP = "\u00a0"
DAY = datetime.timedelta(days=1)


def test_a_german_managers_team_dashboard_is_in_german_with_german_amounts(company, login):
    speaking(company.manager, "de")
    this_month = month_start(today())
    Quota.objects.create(team=company.north, month=this_month, amount=Decimal("12500"))
    make_deal(
        company.rep1,
        company.sales,
        company.stages[0],
        value=Decimal("12500"),
        expected_close_date=today(),
    )

    response = login(company.manager).get(reverse("team-dashboard", args=[company.north.pk]))

    html = response.content.decode()
    assert '<html lang="de">' in html
    # Amounts: Babel's German pattern, whatever the catalogs say.
    assert f"12.500{NBSP}€" in html
    assert "12,500 EUR" not in html
    # Words: these need the compiled German catalog.
    assert "Gewichtete Prognose" in html
    assert "Offene Pipeline" in html
    assert "Verlustgründe" in html
    assert "Weighted forecast" not in html
    assert "Lost reasons" not in html


def test_the_period_label_and_the_chart_series_follow_the_language(company, login):
    speaking(company.manager, "de")
    day = datetime.date(2026, 12, 7)
    with translation.override("de"):
        assert Period.of("month", day).label == "Dezember 2026"
    with translation.override("nl"):
        assert Period.of("month", day).label == "december 2026"

    response = login(company.manager).get(reverse("team-dashboard", args=[company.north.pk]))

    assert '"currency": "EUR"' in response.content.decode()  # charts.js formats per language
    assert '"label": "Gewonnen"' in response.content.decode()  # compiled catalog


def test_the_quota_grid_takes_amounts_the_way_a_german_admin_types_them(company, login):
    speaking(company.admin, "de")
    client = login(company.admin)
    year = timezone.localdate().year
    cell = f"user-{company.rep1.pk}-03"

    response = client.post(
        f"{reverse('crm_admin:quotas')}?year={year}",
        {cell: "12.500,50", f"user-{company.rep1.pk}-04": "25000,5"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    mine = Quota.objects.filter(user=company.rep1, month__year=year)
    amounts = dict(mine.values_list("month__month", "amount"))
    assert amounts == {3: Decimal("12500.50"), 4: Decimal("25000.50")}
    page = client.get(reverse("crm_admin:quotas"), {"year": year}).content.decode()
    assert 'value="12500,50"' in page


def test_a_single_dot_is_still_a_decimal_point_for_a_german_admin(company, login):
    speaking(company.admin, "de")
    client = login(company.admin)
    year = timezone.localdate().year
    cell = f"user-{company.rep1.pk}-05"

    response = client.post(f"{reverse('crm_admin:quotas')}?year={year}", {cell: "25000.50"})

    assert response.status_code == 302
    assert Quota.objects.get(user=company.rep1, month__year=year, month__month=5).amount == Decimal(
        "25000.50"
    )


def test_a_stall_notice_for_a_dutch_owner_is_stored_in_dutch(company):
    speaking(company.rep1, "nl")
    stage = company.stages[0]
    Stage.objects.filter(pk=stage.pk).update(stall_threshold_days=3)
    deal = make_deal(company.rep1, company.sales, stage, title="Acme uitrol")
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - 30 * DAY)
    english = make_deal(company.rep2, company.sales, stage, title="Acme rollout")
    Deal.objects.filter(pk=english.pk).update(stage_entered_at=timezone.now() - 30 * DAY)

    deals_flag_stalled()

    dutch_text = Notification.objects.get(deal=deal).text
    assert "Acme uitrol" in dutch_text
    assert "is stilgevallen" in dutch_text  # compiled Dutch catalog
    assert "has stalled" not in dutch_text
    # Someone without a language of their own reads the company default, English.
    assert "has stalled" in Notification.objects.get(deal=english).text


def test_a_reminder_for_a_german_owner_is_stored_in_german(company):
    speaking(company.rep1, "de")
    deal = make_deal(company.rep1, company.sales, company.stages[0], title="Acme Einführung")
    activity_log(
        user=company.rep1,
        deal=deal,
        kind="call",
        subject="Demo",
        done=False,
        due_at=timezone.now() + datetime.timedelta(minutes=5),
    )

    activities_remind()

    text = Notification.objects.get(deal=deal, kind="activity_due").text
    assert "„Demo“ zu „Acme Einführung“ ist um" in text  # compiled German catalog
