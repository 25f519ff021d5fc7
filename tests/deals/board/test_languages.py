"""The board in the user's language (docs/i18n.md): words from the catalogs, amounts in
the language's convention (``12.500 €`` in German, ``€ 12.500`` in Dutch), the same on the
cards (PageFormats) as in the column heads (``|money``).

The tests of German words need the compiled catalogs (``make test`` compiles them)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.deals.board.helpers import BoardHTML, board_url
from tests.factories import make_deal, speaking

NBSP = "\u00a0"


def card_text(page: str, deal_id: int) -> str:
    card = re.search(rf'<li class="card[^"]*"\s+id="deal-{deal_id}".*?</li>', page, re.S)
    # Collapses spaces and newlines only: the amounts hold a non-breaking space.
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", card.group(0)))


@pytest.mark.parametrize(
    ("language", "amount"),
    [("en", "€12,500"), ("de", f"12.500{NBSP}€"), ("nl", f"€{NBSP}12.500")],
)
def test_amounts_on_cards_and_column_heads_follow_the_users_language(
    company, login, prospecting, language, amount
):
    deal = make_deal(company.rep1, company.sales, prospecting, value=Decimal("12500.00"))

    response = login(speaking(company.rep1, language)).get(board_url(company.sales))

    board = BoardHTML(response)
    assert board.heads[prospecting.pk]["total"] == amount
    assert amount in card_text(response.content.decode(), deal.pk)


def test_a_german_rep_reads_the_board_in_german(company, login, prospecting):
    """Needs the compiled catalogs."""
    make_deal(company.rep1, company.sales, prospecting, value=None)
    make_deal(company.rep1, company.sales, prospecting, value=Decimal(700))

    response = login(speaking(company.rep1, "de")).get(board_url(company.sales))

    page = response.content.decode()
    assert BoardHTML(response).heads[prospecting.pk]["count"] == "2 Deals"
    assert "Kein Wert" in page  # the card without a value
    assert "Verschieben nach…" in page  # the card's move button
    assert "Nur ins Stocken geratene" in page  # the filter
    assert "Hier ablegen: Gewonnen" in page


def test_a_dutch_rep_reads_the_column_count_in_dutch(company, login, prospecting):
    """Needs the compiled catalogs."""
    make_deal(company.rep1, company.sales, prospecting)

    response = login(speaking(company.rep1, "nl")).get(board_url(company.sales))

    assert BoardHTML(response).heads[prospecting.pk]["count"] == "1 deal"
    assert "Alleen stilgevallen" in response.content.decode()


def test_a_refusal_is_told_in_the_users_language(company, login, prospecting, qualification):
    """A teammate's deal cannot be moved: the toast says so in German. Needs the compiled
    catalogs."""
    deal = make_deal(company.rep2, company.sales, prospecting)
    client = login(speaking(company.rep1, "de"))

    response = client.post(
        reverse("deal-move", args=[deal.pk]),
        {"stage": qualification.pk, "version": deal.version},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 403
    assert "Sie können diesen Deal sehen, aber nicht verschieben." in response.content.decode()
