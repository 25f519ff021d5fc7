"""Everyday polish of the board (docs/domain/board.md): compact cards that name the
organization once, close dates that say when they have passed, the board's own totals, and
"Complete and move" naming what is still not done."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import dateformat, timezone

from deals.models import Organization
from tests.deals.board.helpers import EXIT, HTMX, BoardHTML, board_url, move
from tests.factories import make_deal, make_item, reload, speaking


def card_html(response, deal) -> str:
    html = response.content.decode()
    return re.search(rf'<li class="card[^"]*"\s+id="deal-{deal.pk}".*?</li>', html, re.S)[0]


def totals(response) -> dict[str, str]:
    """The texts of the board's totals line (``count``, ``total``, ``weighted``)."""
    html = response.content.decode()
    line = re.search(r'<p class="board-totals" id="board-totals"[^>]*>(.*?)</p>', html, re.S)[1]
    found = re.findall(r'data-testid="board-(\w+)">(.*?)</span>', line, re.S)
    return {name: " ".join(text.split()) for name, text in found}


# --- the card ---------------------------------------------------------------------------


def test_a_card_names_its_organization_once(company, login, prospecting):
    umbrella = Organization.objects.create(name="Umbrella")
    repeated = make_deal(
        company.rep1, company.sales, prospecting, title="Umbrella – CRM", organization=umbrella
    )
    other = make_deal(
        company.rep1, company.sales, prospecting, title="Pilot project", organization=umbrella
    )

    response = login(company.rep1).get(board_url(company.sales))

    assert "card-org" not in card_html(response, repeated)
    assert '<p class="card-org">Umbrella</p>' in card_html(response, other)


def test_value_close_date_and_owner_share_a_line_and_badges_another(company, login, prospecting):
    make_item(prospecting, EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, prospecting)

    card = card_html(login(company.rep1).get(board_url(company.sales)), deal)

    meta = re.search(r'<p class="card-meta">(.*?)</p>', card, re.S)[1]
    assert "card-value" in meta
    assert "card-close" not in meta  # no close date: no badge
    assert 'class="avatar avatar-small"' in meta
    badges = re.search(r'<p class="card-badges">(.*?)</p>', card, re.S)[1]
    assert "✓ 0/1" in badges
    assert "no next activity" in badges


def test_a_close_date_in_the_past_is_marked_and_other_years_show_the_year(
    company, login, prospecting
):
    today = timezone.localdate(timezone.now(), timezone.get_default_timezone())
    last_year = today - datetime.timedelta(days=400)
    next_year = today.replace(year=today.year + 1, day=1)
    late = make_deal(company.rep1, company.sales, prospecting, expected_close_date=last_year)
    ahead = make_deal(company.rep1, company.sales, prospecting, expected_close_date=next_year)
    now = make_deal(company.rep1, company.sales, prospecting, expected_close_date=today)

    response = login(company.rep1).get(board_url(company.sales))

    late_card = card_html(response, late)
    assert "badge-late" in late_card
    assert dateformat.format(last_year, "j M Y") in late_card
    assert "Expected close date has passed" in late_card  # said in words, not only red
    ahead_card = card_html(response, ahead)
    assert "badge-late" not in ahead_card
    assert dateformat.format(next_year, "j M Y") in ahead_card
    today_card = card_html(response, now)
    assert "badge-late" not in today_card  # due today is not overdue
    assert f">{dateformat.format(today, 'j M')}<" in today_card


def test_the_company_time_zone_decides_what_today_is(company, login, prospecting, settings):
    # Kiritimati (UTC+14) and Pago Pago (UTC−11) are always on different dates.
    utc_now = timezone.now()
    pago_today = timezone.localdate(utc_now, ZoneInfo("Pacific/Pago_Pago"))
    deal = make_deal(company.rep1, company.sales, prospecting, expected_close_date=pago_today)
    client = login(company.rep1)

    settings.TIME_ZONE = "Pacific/Pago_Pago"
    assert "badge-late" not in card_html(client.get(board_url(company.sales)), deal)
    settings.TIME_ZONE = "Pacific/Kiritimati"
    assert "badge-late" in card_html(client.get(board_url(company.sales)), deal)


def test_the_deal_page_marks_a_passed_close_date_of_an_open_deal(company, login, prospecting):
    day = timezone.localdate() - datetime.timedelta(days=400)
    deal = make_deal(company.rep1, company.sales, prospecting, expected_close_date=day)
    client = login(company.rep1)

    page = client.get(reverse("deal-detail", args=[deal.pk])).content.decode()

    assert 'data-testid="close-overdue"' in page
    assert f"Overdue: expected close {dateformat.format(day, 'j M Y')}" in page

    future = make_deal(
        company.rep1,
        company.sales,
        prospecting,
        expected_close_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    page = client.get(reverse("deal-detail", args=[future.pk])).content.decode()
    assert 'data-testid="close-overdue"' not in page


# --- the board's totals -----------------------------------------------------------------


def test_the_board_shows_its_total_and_weighted_total_over_the_visible_open_deals(
    company, login, prospecting, qualification
):
    make_deal(company.rep1, company.sales, prospecting, value=Decimal(1000))  # 10 %
    make_deal(company.rep1, company.sales, qualification, value=Decimal(2000))  # 20 %
    make_deal(company.rep3, company.sales, qualification, value=Decimal(50000))  # not visible
    make_deal(company.rep1, company.private, value=Decimal(7000))  # another pipeline

    response = login(company.rep1).get(board_url(company.sales))

    assert totals(response) == {
        "count": "2 deals",
        "total": "Total €3,000",
        "weighted": "Weighted €500",
    }


def test_the_totals_follow_the_filters(company, login, prospecting):
    make_deal(company.rep1, company.sales, prospecting, value=Decimal(1000))
    make_deal(company.rep2, company.sales, prospecting, value=Decimal(4000))
    client = login(company.manager)
    assert totals(client.get(board_url(company.sales)))["total"] == "Total €5,000"

    # The filter form swaps the columns; the totals come along out of band.
    url = board_url(company.sales, owner=company.rep2.pk)
    response = client.get(url, HTTP_HX_TARGET="board-columns", **HTMX)

    assert ("board-totals", "true") in BoardHTML(response).oob
    assert totals(response) == {
        "count": "1 deal",
        "total": "Total €4,000",
        "weighted": "Weighted €400",
    }


def test_a_move_answers_with_the_new_totals(company, login, prospecting, qualification):
    deal = make_deal(company.rep1, company.sales, prospecting, value=Decimal(1000))
    make_deal(company.rep1, company.sales, qualification, value=Decimal(1000))

    response = move(login(company.rep1), deal, qualification)

    assert response.status_code == 200
    assert ("board-totals", "true") in BoardHTML(response).oob
    # Both deals now weigh 20 %: the weighted total rose from 300 to 400.
    assert totals(response) == {
        "count": "2 deals",
        "total": "Total €2,000",
        "weighted": "Weighted €400",
    }


def test_a_dialog_move_and_a_won_deal_answer_with_the_new_totals(
    company, login, prospecting, qualification
):
    deal = make_deal(company.rep1, company.sales, prospecting, value=Decimal(1000))
    other = make_deal(company.rep1, company.sales, prospecting, value=Decimal(3000))
    client = login(company.rep1)

    moved = move(client, deal, qualification, source="dialog")
    assert totals(moved)["weighted"] == "Weighted €500"  # 1000 × 20 % + 3000 × 10 %

    won = client.post(
        reverse("deal-won", args=[other.pk]), {"version": other.version, "source": "drag"}, **HTMX
    )
    assert won.status_code == 200
    assert totals(won) == {"count": "1 deal", "total": "Total €1,000", "weighted": "Weighted €200"}


# --- "Complete and move" with something still not done ---------------------------------


def test_complete_and_move_with_an_unticked_item_names_it(
    company, login, prospecting, qualification
):
    ticked = make_item(prospecting, EXIT, text="Budget confirmed")
    make_item(prospecting, EXIT, text="Decision maker known")
    make_item(prospecting, EXIT, text="Champion found")
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = move(
        login(company.rep1),
        deal,
        qualification,
        source="dialog",
        check=ticked.pk,
        checklist_retry="1",
    )

    assert response.status_code == 409
    # Into the open dialog, which keeps what the user ticked.
    assert response["HX-Retarget"] == f"#refused-status-{deal.pk}"
    assert response["HX-Reswap"] == "innerHTML"
    assert 'role="alert"' in response.text
    assert "These 2 required steps are still not done:" in response.text
    assert "<li>Decision maker known</li>" in response.text
    assert "<li>Champion found</li>" in response.text
    assert "Budget confirmed" not in response.text
    assert reload(deal).stage_id == prospecting.pk


def test_the_refused_dialog_posts_its_retry_mark(company, login, prospecting, qualification):
    make_item(prospecting, EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = move(login(company.rep1), deal, qualification)

    assert response.status_code == 409
    assert 'name="checklist_retry" value="1"' in response.text
    assert f'id="refused-status-{deal.pk}"' in response.text


def test_a_german_card_writes_the_year_the_german_way(company, login, prospecting):
    day = datetime.date(timezone.localdate().year - 1, 12, 7)
    deal = make_deal(company.rep1, company.sales, prospecting, expected_close_date=day)

    response = login(speaking(company.rep1, "de")).get(board_url(company.sales))

    assert f">7 Dez {day.year}<" in card_html(response, deal)  # e.g. "7 Dez 2025"
