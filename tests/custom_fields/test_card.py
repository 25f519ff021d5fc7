"""Custom fields on the board's cards: fields marked "show on card" that have a value, as
short "Name: value" lines, the same wherever a card is rendered, at a constant number of
queries (docs/domain/custom-fields.md, "Where values show")."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import Deal
from deals.services.editing import deal_update
from deals.services.moves import deal_move
from pipelines.models import CustomField
from tests.custom_fields.deal_fields import sales_fields, text_of
from tests.deals.board.helpers import board_url, move
from tests.deals.board.test_query_counts import fill_board
from tests.factories import make_custom_field, make_deal, make_user, reload, speaking

HTMX = {"HTTP_HX_REQUEST": "true"}
Type = CustomField.Type


@pytest.fixture
def fields(company):
    fields = sales_fields(company)
    CustomField.objects.filter(pk=fields.term.pk).update(show_on_card=True)
    return fields


def card_lines(html: str, deal: Deal) -> list[str]:
    """The card's "Name: value" lines as a reader reads them (CSS adds the colon)."""
    match = re.search(rf'<dl class="card-fields" id="card-fields-{deal.pk}"[^>]*>(.*?)</dl>', html)
    if match is None:
        return []
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", match.group(1))
    return [f"{text_of(name).strip()}: {text_of(value).strip()}" for name, value in pairs]


def test_a_card_shows_up_to_three_fields_marked_for_the_card_that_have_a_value(
    company, login, fields
):
    deal = make_deal(
        company.rep1,
        company.sales,
        title="Umbrella",
        custom_fields={
            "competitor": "globex",
            "budget_confirmed": False,  # "no" is a value
            "term_months": Decimal(24),
            "competitor_note": "Not on the card",
        },
    )
    full = make_deal(
        company.rep1,
        company.sales,
        custom_fields={
            "budget": Decimal("12500.5"),
            "competitor": "acme",
            "budget_confirmed": True,
            "term_months": Decimal(36),
        },
    )
    bare = make_deal(company.rep1, company.sales, custom_fields={"competitor_note": "Hidden"})

    html = login(company.rep1).get(board_url(company.sales)).content.decode()

    # Designer order, empty ones skipped (budget), not-on-card ones never shown.
    assert card_lines(html, deal) == [
        "Competitor: Globex",
        "Budget confirmed: No",
        "Term months: 24",
    ]
    assert card_lines(html, full) == [
        "Budget: €12,501",  # whole, as the card prints its value
        "Competitor: Acme",
        "Budget confirmed: Yes",
    ]  # at most three lines
    assert card_lines(html, bare) == []
    assert f'id="card-fields-{bare.pk}"' not in html
    assert "Hidden" not in html


def test_long_values_are_cut_to_one_short_line(company, login):
    make_custom_field("Next step", Type.LONG_TEXT, show_on_card=True)
    deal = make_deal(
        company.rep1,
        company.sales,
        custom_fields={"next_step": "Call the CFO about the budget,\nthen send the revised offer"},
    )

    html = login(company.rep1).get(board_url(company.sales)).content.decode()

    assert card_lines(html, deal) == ["Next step: Call the CFO about the budget, then sen…"]


def test_a_field_the_deal_s_pipeline_lacks_is_not_shown(company, login):
    make_custom_field("Region", Type.TEXT, pipeline=company.private, show_on_card=True)
    make_custom_field("Source", Type.TEXT, show_on_card=True)
    deal = make_deal(
        company.rep1, company.private, custom_fields={"region": "North", "source": "Fair"}
    )
    # Moved to Sales, the deal keeps its Renewals value, hidden there.
    deal_move(
        user=company.rep1, deal=deal, stage=company.stages[0], version=None, pipeline=company.sales
    )

    html = login(company.rep1).get(board_url(company.sales)).content.decode()

    assert card_lines(html, deal) == ["Source: Fair"]
    assert reload(deal).custom_fields["region"] == "North"


def test_cards_read_in_the_reader_s_language(company, login, fields):
    deal = make_deal(
        company.rep1,
        company.sales,
        custom_fields={
            "budget": Decimal(12500),
            "budget_confirmed": True,
            "term_months": Decimal("1.5"),
        },
    )

    html = login(speaking(company.rep1, "de")).get(board_url(company.sales)).content.decode()

    assert card_lines(html, deal) == [
        "Budget: 12.500\u00a0€",
        "Budget confirmed: Ja",
        "Term months: 1,5",
    ]


def _oob_card(html: str, deal: Deal) -> str:
    start = html.index(f'id="deal-{deal.pk}"')
    return html[start : html.index("</li>", start)]


def test_every_answer_that_renders_cards_shows_the_same_lines(company, login, fields):
    first, second = company.stages[:2]
    deal = make_deal(
        company.rep1,
        company.sales,
        first,
        title="Umbrella",
        custom_fields={"budget": Decimal(900), "competitor": "initech"},
    )
    make_deal(company.rep1, company.sales, first)
    client = login(company.rep1)
    lines = ["Budget: €900", "Competitor: Initech"]

    board = client.get(board_url(company.sales)).content.decode()
    live = client.get(
        board_url(company.sales), HTTP_HX_TARGET="board-columns", **HTMX
    ).content.decode()
    more = client.get(
        reverse("column-more", args=[company.sales.pk, first.pk]) + "?offset=1", **HTMX
    ).content.decode()
    # The column's page loaded on scroll: the newer deal is on top, this one second.
    assert card_lines(board, deal) == card_lines(live, deal) == card_lines(more, deal) == lines

    # The "Move to…" dialog's move re-renders both columns.
    dialog_move = move(client, deal, second, source="dialog")
    assert dialog_move.status_code == 200
    assert card_lines(dialog_move.content.decode(), deal) == lines

    # A stale drag: the card comes back as it now is.
    stale = move(client, deal, first, version=1)
    assert stale.status_code == 409
    assert card_lines(stale.content.decode(), deal) == lines


def test_a_column_page_loaded_on_scroll_shows_the_lines(company, login, fields):
    first = company.stages[0]
    deals = [
        make_deal(company.rep1, company.sales, first, custom_fields={"competitor": "acme"})
        for _ in range(3)
    ]
    url = reverse("column-more", args=[company.sales.pk, first.pk]) + "?offset=1"

    html = login(company.rep1).get(url, **HTMX).content.decode()

    shown = [deal for deal in deals if f'id="deal-{deal.pk}"' in html]
    assert len(shown) == 2
    assert all(card_lines(html, deal) == ["Competitor: Acme"] for deal in shown)


def test_a_drag_keeps_the_lines_the_page_shows_without_reading_the_fields(company, login, fields):
    first, second = company.stages[:2]
    deal = make_deal(company.rep1, company.sales, first, custom_fields={"competitor": "acme"})

    client = login(company.rep1)

    with CaptureQueriesContext(connection) as queries:
        response = move(client, deal, second)

    assert response.status_code == 200
    card = _oob_card(response.content.decode(), deal)
    # An empty placeholder that htmx swaps for the lines already on the page (a drag
    # changes no value): no query for the field definitions.
    assert f'<dl class="card-fields" id="card-fields-{deal.pk}" hx-preserve="true"></dl>' in card
    assert "Acme" not in card
    assert not [q for q in queries.captured_queries if 'FROM "pipelines_customfield"' in q["sql"]]


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_the_board_costs_the_same_queries_with_no_custom_field_or_twenty(
    company, login, persona, django_assert_max_num_queries
):
    client = login(getattr(company, persona))
    fill_board(company, 30)
    url = board_url(company.sales)
    column = reverse("column-more", args=[company.sales.pk, company.stages[0].pk])
    client.get(url)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as fragment:
            assert client.get(f"{column}?offset=2", **HTMX).status_code == 200
        return len(page), len(fragment)

    without = counts()

    kinds = [Type.TEXT, Type.MONEY, Type.DATE, Type.YES_NO, Type.SINGLE_CHOICE]
    kinds += [Type.MULTIPLE_CHOICE, Type.NUMBER, Type.URL, Type.LONG_TEXT, Type.USER]
    values = {}
    for n in range(20):
        kind = kinds[n % 10]
        field = make_custom_field(
            f"Field {n}",
            kind,
            pipeline=company.sales if n % 2 else None,
            options=("Acme", "Globex"),
            show_on_card=n < 10 and kind != Type.USER,  # a user field: see the next test
        )
        values[field.key] = {
            Type.TEXT: "Text",
            Type.MONEY: Decimal(n * 100),
            Type.DATE: datetime.date(2027, 1, n + 1),
            Type.YES_NO: True,
            Type.SINGLE_CHOICE: "acme",
            Type.MULTIPLE_CHOICE: ["acme", "globex"],
            Type.NUMBER: Decimal(n),
            Type.URL: "https://example.com",
            Type.LONG_TEXT: "Long\ntext",
            Type.USER: company.rep2.pk,
        }[kind]
    for deal in Deal.objects.all():
        deal_update(user=company.admin, deal=deal, version=None, custom_fields=values)

    with django_assert_max_num_queries(without[0]):
        html = client.get(url).content.decode()
    assert "Field 0" in html
    assert counts() == without


def test_names_of_users_on_cards_cost_one_query_however_many_cards(company, login):
    make_custom_field("Sponsor", Type.USER, show_on_card=True)
    make_custom_field("Engineer", Type.USER, show_on_card=True)
    people = [make_user(f"person{n}", first_name=f"Person{n}") for n in range(6)]
    client = login(company.rep1)
    url = board_url(company.sales)

    def queries_with(cards: int) -> int:
        Deal.objects.all().delete()
        for n in range(cards):
            make_deal(
                company.rep1,
                company.sales,
                custom_fields={"sponsor": people[n % 6].pk, "engineer": people[-1].pk},
            )
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        assert "Person0 Test" in html
        return len(queries)

    client.get(url)
    one, many = queries_with(1), queries_with(12)

    assert one == many
    Deal.objects.all().delete()
    make_deal(company.rep1, company.sales)
    with CaptureQueriesContext(connection) as without_names:
        client.get(url)
    assert len(without_names) == one - 1  # the one query for the names


def test_the_drag_still_costs_eight_queries_with_fields_on_cards(
    company, login, fields, django_assert_num_queries
):
    stage = company.stages[1]
    deals = [
        make_deal(company.rep1, company.sales, stage, custom_fields={"competitor": "acme"})
        for _ in range(6)
    ]
    deal = reload(deals[0])
    client = login(company.rep1)

    # As tests/deals/board/test_query_counts.py counts a reorder: no query is added for
    # the card's custom fields.
    with django_assert_num_queries(8):
        response = move(client, deal, stage, position=3)
    assert response.status_code == 200
    assert f'id="card-fields-{deal.pk}" hx-preserve="true"' in response.content.decode()
