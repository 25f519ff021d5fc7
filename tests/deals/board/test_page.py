"""The board page: columns, figures, cards, who sees which card, empty boards."""

import datetime
import html
import re
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from deals.models import Activity, ChecklistCheck, Deal, Organization
from deals.services.moves import deal_mark_won, deal_move
from pipelines.models import Pipeline
from tests.deals.board.helpers import ACTIVITY, EXIT, FIELD, BoardHTML, board_url, money
from tests.factories import make_deal, make_item, make_pipeline
from tests.helpers import assert_no_inline_script

# --- the page: columns, figures, cards ------------------------------------------------


def test_columns_show_name_probability_count_total_and_weighted_value(company, login, stages):
    prospecting, qualification, meeting = stages[:3]
    values = {prospecting: ["1200.00", "850.50", None], qualification: ["10000.00", "3333.33"]}
    for stage, amounts in values.items():
        for amount in amounts:
            make_deal(company.rep1, company.sales, stage, value=amount and Decimal(amount))
    big = Deal.objects.get(value=Decimal("10000.00"))
    Deal.objects.filter(pk=big.pk).update(probability_override=50)
    won = make_deal(company.rep1, company.sales, meeting, value=Decimal(500))
    deal_mark_won(user=company.rep1, deal=won, version=won.version)  # off the board

    board = BoardHTML(login(company.rep1).get(board_url(company.sales)))

    assert list(board.heads) == [stage.pk for stage in stages]
    for stage in stages:
        deals = list(Deal.objects.filter(stage=stage, status=Deal.Status.OPEN))
        total = sum((d.value for d in deals if d.value is not None), Decimal(0))
        weighted = sum(
            (
                d.value * (d.probability_override or stage.probability) / 100
                for d in deals
                if d.value is not None
            ),
            Decimal(0),
        )
        head = board.heads[stage.pk]
        assert stage.name in head["text"]
        assert f"{stage.probability} %" in board.head_text(stage.pk)
        assert head["count"] == f"{len(deals)} deal{'' if len(deals) == 1 else 's'}"
        assert head["total"] == f"€{money(total)}"
        assert head["weighted"] == f"≈ {money(weighted)}"
    # The figures above, by hand: 1200 + 850.50 (+ no value) and 10% of it; 50% override.
    assert board.heads[prospecting.pk]["total"] == "€2,051"
    assert board.heads[prospecting.pk]["weighted"] == "≈ 205"
    assert board.heads[qualification.pk]["weighted"] == "≈ 5,667"
    assert board.heads[meeting.pk]["count"] == "0 deals"


def test_cards_appear_in_board_order(company, login, prospecting, qualification):
    first, second, third = (
        make_deal(company.rep1, company.sales, prospecting, title=title)
        for title in ("First", "Second", "Third")
    )
    # New deals go on top; then "First" is dragged between the other two.
    deal_move(user=company.rep1, deal=first, stage=prospecting, version=first.version, position=1)

    board = BoardHTML(login(company.rep1).get(board_url(company.sales)))

    assert board.cards[prospecting.pk] == [third.pk, first.pk, second.pk]
    assert board.cards[qualification.pk] == []


def test_card_shows_what_a_rep_needs_at_a_glance(company, login, prospecting):
    organization = Organization.objects.create(name="Initech Corp")
    deal = make_deal(
        company.rep1,
        company.sales,
        prospecting,
        title="Server upgrade",
        value=Decimal("12500.00"),
        organization=organization,
        expected_close_date=datetime.date(2031, 3, 14),
    )
    ticked = make_item(prospecting, EXIT, text="Pain identified")
    make_item(prospecting, EXIT, text="Value known", satisfied_by=FIELD, field_name="value")
    make_item(prospecting, EXIT, text="Met them", satisfied_by=ACTIVITY, activity_kind="meeting")
    make_item(prospecting, EXIT, text="Optional", is_required=False)
    ChecklistCheck.objects.create(deal=deal, item=ticked, checked_at=timezone.now())
    Deal.objects.filter(pk=deal.pk).update(
        is_stalled=True, stalled_since=timezone.now() - datetime.timedelta(days=12, hours=1)
    )
    Activity.objects.create(
        deal=deal,
        owner=company.rep1,
        kind="call",
        subject="Follow up",
        due_at=timezone.now() - datetime.timedelta(days=1),
    )

    response = login(company.rep1).get(board_url(company.sales))

    card = re.search(rf'<li class="card[^"]*"\s+id="deal-{deal.pk}".*?</li>', response.text, re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", card.group(0)).split())
    assert "Server upgrade" in text
    assert "Initech Corp" in text
    assert "€12,500" in text
    assert "RT" in text  # Rep1 Test's initials
    assert "14 Mar" in text
    assert "✓ 2/3" in text  # ticked + value filled; the meeting is missing, optional not counted
    assert "stalled 12 d" in text
    assert "overdue activity" in text


def test_html_in_titles_is_escaped(company, login, prospecting):
    title = '<img src=x onerror="boom()">'
    make_deal(company.rep1, company.sales, prospecting, title=title)
    organization = Organization.objects.create(name="<script>alert(1)</script>")
    make_deal(company.rep1, company.sales, prospecting, organization=organization)

    response = login(company.rep1).get(board_url(company.sales))

    assert "<img src=x" not in response.text
    shown = re.findall(r'<p class="card-title"[^>]*><a [^>]*>([^<]*)</a>', response.text)
    assert title in [html.unescape(text) for text in shown]  # printed as text, not markup
    assert "<script>alert(1)" not in response.text
    assert_no_inline_script(response)


def test_board_home_opens_the_oldest_active_pipeline_then_the_last_one_visited(company, login):
    client = login(company.rep1)
    company.sales.is_active = False
    company.sales.save()
    Pipeline.objects.create(name="Another one", is_active=True)

    # The oldest active pipeline, usually the main one: Sales is inactive, so Renewals.
    assert client.get(reverse("board")).url == board_url(company.private)

    company.sales.is_active = True
    company.sales.save()
    assert client.get(reverse("board")).url == board_url(company.sales)

    client.get(board_url(company.private))
    assert client.get(reverse("board")).url == board_url(company.private)


def test_inactive_or_missing_pipeline_is_404(company, login):
    client = login(company.rep1)
    company.private.is_active = False
    company.private.save()

    assert client.get(board_url(company.private)).status_code == 404
    assert client.get(reverse("board-pipeline", args=[987654])).status_code == 404


def test_anonymous_user_is_sent_to_login(company, client):
    for url in (reverse("board"), board_url(company.sales)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# --- visibility ---------------------------------------------------------------------------


def test_rep_sees_own_and_teammates_cards_on_team_pipeline_teammates_read_only(
    company, login, prospecting
):
    own = make_deal(company.rep1, company.sales, prospecting, value=Decimal(100))
    teammate = make_deal(company.rep2, company.sales, prospecting, value=Decimal(200))
    their_manager = make_deal(company.manager, company.sales, prospecting, value=Decimal(400))
    make_deal(company.rep3, company.sales, prospecting, value=Decimal(800))
    make_deal(company.manager2, company.sales, prospecting, value=Decimal(1600))

    board = BoardHTML(login(company.rep1).get(board_url(company.sales)))

    assert board.all_cards() == {own.pk, teammate.pk, their_manager.pk}
    assert board.editable == {own.pk: "true", teammate.pk: "false", their_manager.pk: "false"}
    assert board.move_button == {own.pk: True, teammate.pk: False, their_manager.pk: False}
    # The totals cover what the rep sees, never the other team's deals.
    assert board.heads[prospecting.pk]["count"] == "3 deals"
    assert board.heads[prospecting.pk]["total"] == "€700"


def test_rep_sees_only_own_cards_on_owner_pipeline(company, login):
    due = company.private.stages.get(name="Due")
    own = make_deal(company.rep1, company.private, due)
    make_deal(company.rep2, company.private, due)
    make_deal(company.manager, company.private, due)

    board = BoardHTML(login(company.rep1).get(board_url(company.private)))

    assert board.all_cards() == {own.pk}
    assert board.heads[due.pk]["count"] == "1 deal"


def test_manager_sees_team_cards_editable(company, login, prospecting):
    team = [make_deal(owner, company.sales, prospecting) for owner in (company.rep1, company.rep2)]
    own = make_deal(company.manager, company.sales, prospecting)
    make_deal(company.rep3, company.sales, prospecting)

    board = BoardHTML(login(company.manager).get(board_url(company.sales)))

    assert board.all_cards() == {team[0].pk, team[1].pk, own.pk}
    assert set(board.editable.values()) == {"true"}
    assert all(board.move_button.values())


def test_empty_boards_send_admins_to_the_pipeline_admin_pages(company, login):
    admin = login(company.admin)
    empty = make_pipeline("Partners", stages=[])

    shown = admin.get(board_url(empty))
    assert "This pipeline has no stages yet." in shown.text
    assert f'href="{reverse("crm_admin:pipeline", args=[empty.pk])}"' in shown.text

    Pipeline.objects.update(is_active=False)
    none = admin.get(reverse("board"))
    assert "No pipeline yet" in none.text
    assert f'href="{reverse("crm_admin:pipelines")}"' in none.text
    # A rep is told to ask an admin instead.
    assert "Ask an admin" in login(company.rep1).get(reverse("board")).text
