"""The kanban board pages (docs/domain/board.md) through Django's test client on PostgreSQL.

What a user relies on: the columns and their figures, who sees and may move which card,
filters in the URL, paging per column, a fixed number of queries, and every answer of the
move / won / lost / new-deal / live-refresh endpoints, including the refusals.

Responses are read with ``BoardHTML``, which collects what the board shows (column heads,
cards per column in order, load-more links, out-of-band swaps) from the real markup.
"""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import (
    Activity,
    ChecklistCheck,
    Deal,
    DealEvent,
    LostReason,
    MoveRefusal,
    Organization,
    Person,
    StageChange,
)
from deals.services.moves import deal_mark_won, deal_move
from pipelines.models import ChecklistItem, Pipeline
from tests.factories import make_deal, make_item, make_pipeline, reload
from tests.helpers import assert_no_inline_script

EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY
FIELD, ACTIVITY = ChecklistItem.SatisfiedBy.FIELD, ChecklistItem.SatisfiedBy.ACTIVITY
HTMX = {"HTTP_HX_REQUEST": "true"}


# --- reading the board ----------------------------------------------------------------


class BoardHTML(HTMLParser):
    """What the board shows in a page or fragment.

    ``heads[stage_pk]``: the texts of the column head (``count``, ``total``, ``weighted``
    from the data-testid spans; ``text``: the whole head). ``cards[stage_pk]``: deal ids in
    board order (key None for cards outside a column, as in fragments). ``editable`` and
    ``move_button``: per deal id. ``load_more[stage_pk]``: the URL the column loads more
    from. ``oob``: (id, hx-swap-oob) of every out-of-band element. ``poll_url``: live refresh.
    """

    def __init__(self, response):
        super().__init__(convert_charrefs=True)
        self.heads: dict[int, dict[str, str]] = {}
        self.cards: dict[int | None, list[int]] = {}
        self.editable: dict[int, str] = {}
        self.move_button: dict[int, bool] = {}
        self.load_more: dict[int | None, str] = {}
        self.oob: list[tuple[str, str]] = []
        self.poll_url = ""
        self._head = self._list = self._card = None
        self._testid = None
        self.feed(response.content.decode())
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        element_id = attrs.get("id") or ""
        if "hx-swap-oob" in attrs:
            self.oob.append((element_id, attrs["hx-swap-oob"]))
        if element_id == "board-poll":
            self.poll_url = attrs["hx-get"]
        if tag == "header" and element_id.startswith("column-head-"):
            self._head = int(element_id.removeprefix("column-head-"))
            self.heads[self._head] = {"text": ""}
        elif tag == "span" and self._head is not None and attrs.get("data-testid"):
            self._testid = attrs["data-testid"].removeprefix("column-")
            self.heads[self._head][self._testid] = ""
        elif tag == "ol" and element_id.startswith("cards-"):
            self._list = int(element_id.removeprefix("cards-"))
            self.cards.setdefault(self._list, [])
        elif tag == "li" and element_id.startswith("deal-"):
            self._card = int(element_id.removeprefix("deal-"))
            self.cards.setdefault(self._list, []).append(self._card)
            self.editable[self._card] = attrs.get("data-editable")
            self.move_button[self._card] = False
        elif tag == "li" and "load-more" in (attrs.get("class") or ""):
            self.load_more[self._list] = attrs["hx-get"]
        elif tag == "button" and self._card is not None and "card-move" in attrs.get("class", ""):
            self.move_button[self._card] = True

    def handle_endtag(self, tag):
        if tag == "header":
            self._head = None
        elif tag == "span":
            self._testid = None
        elif tag == "ol":
            self._list = None
        elif tag == "li":
            self._card = None

    def handle_data(self, data):
        if self._head is not None:
            self.heads[self._head]["text"] += data
            if self._testid:
                self.heads[self._head][self._testid] += data.strip()

    def head_text(self, stage_pk: int) -> str:
        return " ".join(self.heads[stage_pk]["text"].split())

    def all_cards(self) -> set[int]:
        return {pk for ids in self.cards.values() for pk in ids}


def board_url(pipeline: Pipeline, **query) -> str:
    url = reverse("board-pipeline", args=[pipeline.pk])
    return f"{url}?{urlencode(query)}" if query else url


def money(amount: Decimal) -> str:
    """How the board prints an amount: whole units with thousands separators."""
    return f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def column(stage) -> list[int]:
    """Ids of all open deals of ``stage`` in board order, whoever owns them."""
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    return list(rows.values_list("pk", flat=True))


def assert_dense(stage) -> None:
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    positions = list(rows.values_list("position", flat=True))
    assert positions == list(range(len(positions)))


def move(client, deal: Deal, stage, **data):
    """POST a move as the board does (htmx); ``data`` adds or overrides fields."""
    body = {"stage": stage.pk, "version": deal.version, "source": "drag", **data}
    body = {key: value for key, value in body.items() if value is not None}
    return client.post(reverse("deal-move", args=[deal.pk]), body, **HTMX)


def snapshot(deal: Deal) -> tuple:
    deal = reload(deal)
    return (deal.stage_id, deal.pipeline_id, deal.position, deal.version, deal.status)


@pytest.fixture
def stages(company):
    return company.stages


@pytest.fixture
def prospecting(stages):
    return stages[0]


@pytest.fixture
def qualification(stages):
    return stages[1]


@pytest.fixture
def lost_reason(db):
    return LostReason.objects.create(name="Price too high")


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
        assert head["total"] == f"{money(total)} EUR"
        assert head["weighted"] == f"≈ {money(weighted)}"
    # The figures above, by hand: 1200 + 850.50 (+ no value) and 10% of it; 50% override.
    assert board.heads[prospecting.pk]["total"] == "2,051 EUR"
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
    assert "12,500 EUR" in text
    assert "RT" in text  # Rep1 Test's initials
    assert "14 Mar" in text
    assert "✓ 2/3" in text  # ticked + value filled; the meeting is missing, optional not counted
    assert "stalled 12 d" in text
    assert "overdue activity" in text


def test_html_in_titles_is_escaped(company, login, prospecting):
    make_deal(company.rep1, company.sales, prospecting, title='<img src=x onerror="boom()">')
    organization = Organization.objects.create(name="<script>alert(1)</script>")
    make_deal(company.rep1, company.sales, prospecting, organization=organization)

    response = login(company.rep1).get(board_url(company.sales))

    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=&quot;boom()&quot;&gt;" in response.text
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
    assert board.heads[prospecting.pk]["total"] == "700 EUR"


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


# --- filters --------------------------------------------------------------------------


@pytest.fixture
def filter_deals(company, prospecting, qualification):
    """rep1's board with one deal per filter, named by what makes it match."""
    today = timezone.localdate()
    month_start = today.replace(day=1)
    globex = Organization.objects.create(name="Globex Corporation")
    deals = {
        "mine": make_deal(
            company.rep1, company.sales, prospecting, title="Acme rollout", value=Decimal(100)
        ),
        "teammate": make_deal(
            company.rep2, company.sales, qualification, title="Teammate deal", value=Decimal(200)
        ),
        "stalled": make_deal(
            company.rep1, company.sales, qualification, title="Quiet one", value=Decimal(400)
        ),
        "closing": make_deal(
            company.rep2,
            company.sales,
            prospecting,
            title="Closing soon",
            value=Decimal(800),
            expected_close_date=today,
        ),
        "next_month": make_deal(
            company.rep1,
            company.sales,
            prospecting,
            title="Later",
            value=Decimal(1600),
            expected_close_date=today + datetime.timedelta(days=40),
        ),
        "last_month": make_deal(
            company.rep1,
            company.sales,
            prospecting,
            title="Slipped",
            value=Decimal(3200),
            expected_close_date=month_start - datetime.timedelta(days=1),
        ),
        "organization": make_deal(
            company.rep2,
            company.sales,
            qualification,
            title="Upsell",
            value=Decimal(6400),
            organization=globex,
        ),
        "person": make_deal(
            company.rep1,
            company.sales,
            qualification,
            title="Cross-sell",
            value=Decimal(12800),
            person=Person.objects.create(name="Hank Scorpio"),
        ),
    }
    Deal.objects.filter(pk=deals["stalled"].pk).update(
        is_stalled=True, stalled_since=timezone.now() - datetime.timedelta(days=3)
    )
    return deals


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"owner": "me"}, {"mine", "stalled", "next_month", "last_month", "person"}),
        ({"owner": "REP2"}, {"teammate", "closing", "organization"}),
        ({"stalled": "1"}, {"stalled"}),
        ({"closing": "month"}, {"closing"}),
        ({"q": "ACME"}, {"mine"}),  # title, any case
        ({"q": "globex"}, {"organization"}),  # organization name
        ({"q": "scorpio"}, {"person"}),  # contact person's name
        ({"owner": "me", "q": "o"}, {"mine", "stalled", "person"}),
    ],
)
def test_filters_in_the_url_narrow_cards_and_totals(
    company, login, filter_deals, prospecting, qualification, query, expected
):
    if query.get("owner") == "REP2":
        query = {**query, "owner": str(company.rep2.pk)}

    board = BoardHTML(login(company.rep1).get(board_url(company.sales, **query)))

    assert board.all_cards() == {filter_deals[name].pk for name in expected}
    for stage in (prospecting, qualification):
        shown = [deal for name, deal in filter_deals.items() if name in expected]
        in_column = [deal for deal in shown if deal.stage_id == stage.pk]
        total = sum((deal.value for deal in in_column), Decimal(0))
        assert board.heads[stage.pk]["count"].startswith(f"{len(in_column)} deal")
        assert board.heads[stage.pk]["total"] == f"{money(total)} EUR"


def test_filter_form_shows_the_filters_of_the_url(company, login, filter_deals):
    response = login(company.rep1).get(
        board_url(company.sales, owner=company.rep2.pk, stalled="1", q="glob")
    )

    assert re.search(rf'<option value="{company.rep2.pk}"\s+selected>', response.text)
    assert re.search(r'name="stalled" value="1"\s+checked', response.text)
    assert 'name="q" value="glob"' in response.text
    # The owner filter offers the people whose cards rep1 may see, not the other team.
    assert f'<option value="{company.rep3.pk}"' not in response.text


@pytest.mark.parametrize(
    "query",
    [
        {"owner": "abc"},
        {"owner": "-3"},
        {"owner": "²"},  # a digit to str.isdigit(), not to int()
        {"owner": "99999999999999999999999"},
        {"stalled": "yes"},
        {"closing": "year"},
        {"q": "a\x00b"},
        {"q": "x" * 500},
    ],
)
def test_junk_filter_values_are_ignored_never_a_500(company, login, filter_deals, query):
    client = login(company.rep1)

    response = client.get(board_url(company.sales, **query))

    assert response.status_code == 200
    if "owner" in query and query["owner"] != "99999999999999999999999":
        assert BoardHTML(response).all_cards() == {deal.pk for deal in filter_deals.values()}
    stage = company.stages[0]
    fragment = client.get(
        reverse("column-more", args=[company.sales.pk, stage.pk]) + "?" + urlencode(query)
    )
    assert fragment.status_code == 200


@pytest.mark.parametrize("offset", ["abc", "-5", "²", "", "99999999999999999999999"])
def test_junk_column_offset_is_ignored_never_a_500(company, login, prospecting, offset):
    deal = make_deal(company.rep1, company.sales, prospecting)
    url = reverse("column-more", args=[company.sales.pk, prospecting.pk])

    response = login(company.rep1).get(url, {"offset": offset}, **HTMX)

    assert response.status_code == 200
    expected = [] if offset.startswith("9") else [deal.pk]
    assert BoardHTML(response).cards.get(None, []) == expected


# --- paging per column ----------------------------------------------------------------


def test_column_shows_first_page_and_loads_the_rest_totals_cover_all(
    company, login, settings, prospecting
):
    settings.BOARD_PAGE_SIZE = 5
    deals = [
        make_deal(company.rep1, company.sales, prospecting, value=Decimal(10 * (i + 1)))
        for i in range(12)
    ]
    in_board_order = [deal.pk for deal in reversed(deals)]
    client = login(company.rep1)

    board = BoardHTML(client.get(board_url(company.sales)))

    assert board.cards[prospecting.pk] == in_board_order[:5]
    assert board.heads[prospecting.pk]["count"] == "12 deals"
    assert board.heads[prospecting.pk]["total"] == "780 EUR"  # 10 + 20 + … + 120
    seen = list(board.cards[prospecting.pk])
    url = board.load_more[prospecting.pk]
    pages = 0
    while url:
        response = client.get(url, **HTMX)
        assert_no_inline_script(response)
        page = BoardHTML(response)
        seen += page.cards[None]
        url = page.load_more.get(None)
        pages += 1
    assert pages == 2
    assert seen == in_board_order


def test_load_more_keeps_the_filters(company, login, settings, prospecting):
    settings.BOARD_PAGE_SIZE = 2
    mine = [make_deal(company.rep1, company.sales, prospecting) for _ in range(3)]
    for _ in range(3):
        make_deal(company.rep2, company.sales, prospecting)
    client = login(company.rep1)

    board = BoardHTML(client.get(board_url(company.sales, owner="me")))
    more = BoardHTML(client.get(board.load_more[prospecting.pk], **HTMX))

    assert "owner=me" in board.load_more[prospecting.pk]
    assert board.cards[prospecting.pk] + more.cards[None] == [d.pk for d in reversed(mine)]
    assert more.load_more == {}
    assert board.heads[prospecting.pk]["count"] == "3 deals"


def test_column_fragment_of_another_pipeline_is_404(company, login, prospecting):
    due = company.private.stages.first()
    client = login(company.rep1)

    assert client.get(reverse("column-more", args=[company.sales.pk, due.pk])).status_code == 404


# --- query counts -----------------------------------------------------------------------


def fill_board(company, n: int) -> None:
    """``n`` deals across the columns, with everything a card shows, for several owners."""
    stages = company.stages
    organization = Organization.objects.create(name="Umbrella")
    person = Person.objects.create(name="Alice", organization=organization)
    items = [make_item(stage, EXIT, text=f"Done in {stage.name}") for stage in stages]
    make_item(stages[0], EXIT, text="Met", satisfied_by=ACTIVITY, activity_kind="meeting")
    owners = [company.rep1, company.rep2, company.manager]
    for i in range(n):
        stage = stages[i % 3]
        deal = make_deal(
            owners[i % 3],
            company.sales,
            stage,
            organization=organization,
            person=person,
            expected_close_date=datetime.date(2030, 1, 1 + i % 28),
        )
        ChecklistCheck.objects.create(deal=deal, item=items[i % 3], checked_at=timezone.now())
        Activity.objects.create(
            deal=deal, owner=deal.owner, kind="meeting", subject="Demo", done_at=timezone.now()
        )


def count_queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_board_page_costs_the_same_few_queries_with_10_or_200_deals(company, login, persona):
    # A repeat visit (the first visit of a board also saves it in the session):
    #   1 session, 2 user, 3 active pipelines, 4 stages, 5 column totals (one GROUP BY),
    #   6 first cards of every column (one window query), 7 required exit items of their
    #   stages, 8 ticks of those items, 9 latest done activity per deal and kind,
    #   10 owners whose deals the user may edit (managers only: a rep edits only their own),
    #   11 live-refresh change token, 12 people offered by the owner filter.
    client = login(getattr(company, persona))
    fill_board(company, 10)
    client.get(board_url(company.sales))
    small = count_queries(client, board_url(company.sales))

    fill_board(company, 190)
    large = count_queries(client, board_url(company.sales))

    assert small == large
    assert large <= 12


def test_column_fragment_costs_the_same_queries_with_10_or_200_deals(
    company, login, settings, prospecting
):
    # 1 session, 2 user, 3 stage with its pipeline, 4 the page of cards, 5 exit items,
    # 6 ticks, 7 latest done activities (8 for a manager: owners they may edit).
    settings.BOARD_PAGE_SIZE = 5
    client = login(company.rep1)
    url = reverse("column-more", args=[company.sales.pk, prospecting.pk]) + "?offset=2"
    fill_board(company, 10)
    small = count_queries(client, url, **HTMX)

    fill_board(company, 190)
    large = count_queries(client, url, **HTMX)

    assert small == large <= 7


def test_move_costs_the_same_queries_in_a_column_of_10_or_200(
    company, login, prospecting, qualification
):
    client = login(company.rep1)

    def queries_for_a_move(column_size: int) -> int:
        for _ in range(column_size):
            make_deal(company.rep1, company.sales, qualification)
        deal = make_deal(company.rep1, company.sales, prospecting)
        middle = column(qualification)[column_size // 2]
        with CaptureQueriesContext(connection) as queries:
            response = move(client, deal, qualification, before=middle)
        assert response.status_code == 200
        assert reload(deal).position == column_size // 2
        return len(queries)

    small = queries_for_a_move(10)
    Deal.objects.all().delete()
    large = queries_for_a_move(200)

    # Reading the request: 1 session, 2 user, 3 the deal, 4 the neighbour's position.
    # deal_move: 5 savepoint, 6 lock both columns, 7 lock the deal counting the target's
    # cards, 8 exit/entry items, 9 one UPDATE of positions in both columns, 10 the deal,
    # 11 stage change, 12 event, 13 pipeline's forecast flag, 14 release savepoint.
    # The answer: 15 the card, 16–18 its exit items, ticks and activities, 19–20 the totals
    # of both columns.
    assert small == large <= 20


# --- moving from the board ----------------------------------------------------------------


def test_drag_move_rerenders_card_and_both_column_heads(company, login, prospecting, qualification):
    deal = make_deal(company.rep1, company.sales, prospecting)
    make_deal(company.rep1, company.sales, qualification)

    response = move(login(company.rep1), deal, qualification)

    assert response.status_code == 200
    moved = BoardHTML(response)
    assert (f"deal-{deal.pk}", "true") in moved.oob
    assert (f"column-head-{prospecting.pk}", "true") in moved.oob
    assert (f"column-head-{qualification.pk}", "true") in moved.oob
    assert moved.heads[prospecting.pk]["count"] == "0 deals"
    assert moved.heads[qualification.pk]["count"] == "2 deals"
    deal = reload(deal)
    assert (deal.stage_id, deal.position, deal.version) == (qualification.pk, 0, 2)
    assert_no_inline_script(response)


def test_forward_move_with_missing_item_answers_409_with_the_dialog(
    company, login, prospecting, qualification
):
    item = make_item(prospecting, EXIT, text="Budget confirmed")
    make_item(prospecting, EXIT, text="Optional nicety", is_required=False)
    deal = make_deal(company.rep1, company.sales, prospecting)
    before = snapshot(deal)

    response = move(login(company.rep1), deal, qualification)

    assert response.status_code == 409
    assert response["HX-Retarget"] == "#dialog-slot"
    assert "move-refused" in response["HX-Trigger"]
    assert "Budget confirmed" in response.text
    assert "Optional nicety" not in response.text
    assert f'name="check" value="{item.pk}"' in response.text
    assert "Complete and move" in response.text
    assert 'name="override_reason"' not in response.text  # reps cannot override
    assert snapshot(deal) == before
    refusal = MoveRefusal.objects.get(deal=deal)
    assert list(refusal.missing_items.all()) == [item]
    assert_no_inline_script(response)


def test_dialog_ticks_the_entry_items_of_a_stage_in_another_pipeline(company, login, prospecting):
    upsell = make_pipeline("Upsell", stages=[("Review", 30), ("Signed", 90)])
    review = upsell.stages.get(name="Review")
    manual = make_item(review, ENTRY, text="Renewal owner agreed")
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.rep1)

    refused = move(client, deal, review, pipeline=upsell.pk, source="dialog")
    assert refused.status_code == 409
    assert f'name="check" value="{manual.pk}"' in refused.text
    assert f'name="pipeline" value="{upsell.pk}"' in refused.text

    done = move(client, deal, review, pipeline=upsell.pk, source="dialog", check=manual.pk)

    assert done.status_code == 200
    assert (reload(deal).pipeline_id, reload(deal).stage_id) == (upsell.pk, review.pk)
    assert ChecklistCheck.objects.filter(deal=deal, item=manual).exists()


def test_dialog_completes_items_fields_and_activity_and_moves_in_one_request(
    company, login, prospecting, qualification
):
    manual = make_item(prospecting, EXIT, text="Budget confirmed")
    make_item(qualification, ENTRY, text="Value known", satisfied_by=FIELD, field_name="value")
    make_item(
        qualification, ENTRY, text="Demo held", satisfied_by=ACTIVITY, activity_kind="meeting"
    )
    deal = make_deal(company.rep1, company.sales, prospecting, value=None)
    client = login(company.rep1)

    refused = move(client, deal, qualification)
    assert refused.status_code == 409
    assert 'name="value"' in refused.text
    assert 'name="activity_subject"' in refused.text

    response = move(
        client,
        deal,
        qualification,
        source="dialog",
        check=manual.pk,
        value="4200",
        activity_kind="meeting",
        activity_subject="Demo with the buyer",
    )

    assert response.status_code == 200
    assert "close-dialog" in response["HX-Trigger"]
    columns = BoardHTML(response)
    assert (f"column-{prospecting.pk}", "true") in columns.oob
    assert (f"column-{qualification.pk}", "true") in columns.oob
    assert columns.cards[qualification.pk] == [deal.pk]
    # Cards ride inside their column, not as out-of-band swaps of their own.
    assert (f"deal-{deal.pk}", "true") not in columns.oob
    deal = reload(deal)
    assert deal.stage_id == qualification.pk
    assert deal.value == Decimal(4200)
    assert ChecklistCheck.objects.filter(deal=deal, item=manual, checked_by=company.rep1).exists()
    meeting = Activity.objects.get(deal=deal)
    assert (meeting.kind, meeting.subject, meeting.done_at is not None) == (
        "meeting",
        "Demo with the buyer",
        True,
    )
    assert_no_inline_script(response)


def test_dialog_with_items_still_missing_refuses_again_and_writes_nothing(
    company, login, prospecting, qualification
):
    ticked = make_item(prospecting, EXIT, text="Budget confirmed")
    make_item(prospecting, EXIT, text="Decision maker known")
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = move(login(company.rep1), deal, qualification, source="dialog", check=ticked.pk)

    assert response.status_code == 409
    assert "Decision maker known" in response.text
    assert not ChecklistCheck.objects.filter(deal=deal).exists()
    assert reload(deal).stage_id == prospecting.pk


def test_manager_overrides_missing_items_with_a_reason(company, login, prospecting, qualification):
    item = make_item(prospecting, EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.manager)

    refused = move(client, deal, qualification)
    assert refused.status_code == 409
    assert 'name="override_reason"' in refused.text

    response = move(
        client, deal, qualification, source="dialog", override_reason="Signed on the phone"
    )

    assert response.status_code == 200
    assert reload(deal).stage_id == qualification.pk
    change = StageChange.objects.get(deal=deal, from_stage=prospecting)
    assert change.override_reason == "Signed on the phone"
    assert list(change.overridden_items.all()) == [item]


def test_rep_cannot_override(company, login, prospecting, qualification):
    make_item(prospecting, EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, prospecting)
    before = snapshot(deal)

    response = move(login(company.rep1), deal, qualification, override_reason="Trust me")

    assert response.status_code == 403
    assert snapshot(deal) == before


def test_stale_version_is_a_conflict_and_changes_nothing(
    company, login, prospecting, qualification
):
    deal = make_deal(company.rep1, company.sales, prospecting)
    deal_move(user=company.manager, deal=deal, stage=prospecting, version=1, position=0)
    before = snapshot(deal)

    response = move(login(company.rep1), deal, qualification, version=1)

    assert response.status_code == 409
    assert response["HX-Retarget"] == "#toast"
    assert "Someone else changed this deal" in response.text
    # The card is refreshed with the current version.
    assert f'data-version="{before[3]}"' in response.text
    assert snapshot(deal) == before


def test_teammates_read_only_deal_cannot_be_moved(company, login, prospecting, qualification):
    deal = make_deal(company.rep2, company.sales, prospecting)
    before = snapshot(deal)
    client = login(company.rep1)

    response = move(client, deal, qualification)

    assert response.status_code == 403
    assert "You can see this deal but not move it" in response.text
    assert snapshot(deal) == before
    assert client.get(reverse("deal-move", args=[deal.pk]), **HTMX).status_code == 403
    assert client.get(reverse("deal-lost", args=[deal.pk]), **HTMX).status_code == 403
    assert client.post(reverse("deal-won", args=[deal.pk]), {"version": 1}).status_code == 403
    assert snapshot(deal) == before


def test_invisible_deal_is_404(company, login, prospecting, qualification):
    deal = make_deal(company.rep3, company.sales, prospecting)
    client = login(company.rep1)

    assert move(client, deal, qualification).status_code == 404
    assert client.get(reverse("deal-move", args=[deal.pk]), **HTMX).status_code == 404
    assert client.post(reverse("deal-won", args=[deal.pk]), {"version": 1}).status_code == 404
    assert client.get(reverse("deal-lost", args=[deal.pk]), **HTMX).status_code == 404
    assert reload(deal).stage_id == prospecting.pk


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("other_pipeline_stage", "belongs to another pipeline"),
        ("missing_stage", "does not exist"),
        ("no_version", "This field is required"),
        ("position_past_the_end", "outside this column"),
        ("negative_position", "greater than or equal to 0"),
        ("gone_neighbour", "The board changed meanwhile"),
    ],
)
def test_impossible_moves_are_400_with_a_reason(
    company, login, prospecting, qualification, bad, message
):
    deal = make_deal(company.rep1, company.sales, prospecting)
    make_deal(company.rep1, company.sales, qualification)
    data = {
        "other_pipeline_stage": {"stage": company.private.stages.first().pk},
        "missing_stage": {"stage": 987654},
        "no_version": {"version": ""},
        "position_past_the_end": {"position": 2},
        "negative_position": {"position": -1},
        "gone_neighbour": {"before": 987654},
    }[bad]
    before = snapshot(deal)

    response = login(company.rep1).post(
        reverse("deal-move", args=[deal.pk]),
        {"stage": qualification.pk, "version": deal.version, "source": "drag", **data},
        **HTMX,
    )

    assert response.status_code == 400
    assert response["HX-Retarget"] == "#toast"
    assert message in response.text
    assert snapshot(deal) == before


def test_move_to_another_pipeline_names_the_pipeline(company, login, prospecting):
    due = company.private.stages.get(name="Due")
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = move(login(company.rep1), deal, due, pipeline=company.private.pk, source="dialog")

    assert response.status_code == 200
    deal = reload(deal)
    assert (deal.pipeline_id, deal.stage_id) == (company.private.pk, due.pk)


def test_neighbours_become_an_index_among_all_cards_whatever_the_filter(
    company, login, prospecting, qualification
):
    # Qualification, top to bottom: m1 t1 m2 t2 m3 (m: rep1's, t: rep2's). With owner=me
    # rep1 sees m1 m2 m3; the neighbours the board sends are not adjacent in the column.
    for owner in (company.rep1, company.rep2, company.rep1, company.rep2, company.rep1):
        make_deal(owner, company.sales, qualification)
    m1, t1, m2, t2, m3 = column(qualification)
    client = login(company.rep1)
    board = BoardHTML(client.get(board_url(company.sales, owner="me")))
    assert board.cards[qualification.pk] == [m1, m2, m3]
    filtered = {"HTTP_HX_CURRENT_URL": "http://testserver" + board_url(company.sales, owner="me")}

    # Dropped between m1 and m2: "before" is m2, so the card takes m2's place.
    a = make_deal(company.rep1, company.sales, prospecting)
    response = client.post(
        reverse("deal-move", args=[a.pk]),
        {"stage": qualification.pk, "version": a.version, "source": "drag", "before": m2},
        **HTMX,
        **filtered,
    )
    assert response.status_code == 200
    assert column(qualification) == [m1, t1, a.pk, m2, t2, m3]
    # The heads answered follow the page's filter: rep1's cards only.
    assert BoardHTML(response).heads[qualification.pk]["count"] == "4 deals"

    # Dropped at the bottom of the filtered list: only "after" (m3) is known.
    b = make_deal(company.rep1, company.sales, prospecting)
    move(client, b, qualification, after=m3)
    assert column(qualification) == [m1, t1, a.pk, m2, t2, m3, b.pk]

    # Within the column, downwards: m1 dropped between m2 and m3 (before m3).
    move(client, reload(Deal.objects.get(pk=m1)), qualification, before=m3)
    assert column(qualification) == [t1, a.pk, m2, t2, m1, m3, b.pk]

    # Within the column, upwards: b dropped between a and m2 (after a).
    move(client, reload(b), qualification, after=a.pk)
    assert column(qualification) == [t1, a.pk, b.pk, m2, t2, m1, m3]
    assert_dense(qualification)
    assert_dense(prospecting)


def test_move_dialog_lists_stages_of_active_pipelines(company, login, prospecting):
    deal = make_deal(company.rep1, company.sales, prospecting)
    Pipeline.objects.create(name="Dormant", is_active=False)

    response = login(company.rep1).get(reverse("deal-move", args=[deal.pk]), **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#dialog-slot"
    assert re.search(rf'<option value="{prospecting.pk}"\s+selected>', response.text)
    for stage in company.private.stages.all():
        assert f'<option value="{stage.pk}"' in response.text
    assert "Dormant" not in response.text
    assert_no_inline_script(response)


# --- won and lost -----------------------------------------------------------------------


def test_drop_on_won_removes_the_card_and_updates_the_column_head(
    company, login, prospecting, qualification
):
    deal = make_deal(company.rep1, company.sales, qualification, value=Decimal(900))
    make_deal(company.rep1, company.sales, qualification, value=Decimal(100))

    response = login(company.rep1).post(
        reverse("deal-won", args=[deal.pk]), {"version": 1, "source": "drag"}, **HTMX
    )

    assert response.status_code == 200
    answer = BoardHTML(response)
    assert (f"deal-{deal.pk}", "delete") in answer.oob
    assert (f"column-head-{qualification.pk}", "true") in answer.oob
    assert answer.heads[qualification.pk]["count"] == "1 deal"
    assert answer.heads[qualification.pk]["total"] == "100 EUR"
    assert reload(deal).status == Deal.Status.WON
    assert_no_inline_script(response)


def test_won_needs_the_exit_items(company, login, qualification):
    item = make_item(qualification, EXIT, text="Contract signed")
    deal = make_deal(company.rep1, company.sales, qualification)
    client = login(company.rep1)

    refused = client.post(
        reverse("deal-won", args=[deal.pk]), {"version": 1, "source": "drag"}, **HTMX
    )

    assert refused.status_code == 409
    assert refused["HX-Retarget"] == "#dialog-slot"
    assert "Contract signed" in refused.text
    assert "Complete and mark won" in refused.text
    assert reload(deal).status == Deal.Status.OPEN

    response = client.post(
        reverse("deal-won", args=[deal.pk]),
        {"version": 1, "source": "dialog", "check": item.pk},
        **HTMX,
    )

    assert response.status_code == 200
    assert reload(deal).status == Deal.Status.WON
    assert ChecklistCheck.objects.filter(deal=deal, item=item).exists()


def test_lost_asks_for_a_reason(company, login, qualification, lost_reason):
    deal = make_deal(company.rep1, company.sales, qualification)
    client = login(company.rep1)
    url = reverse("deal-lost", args=[deal.pk])

    dialog = client.get(url, **HTMX)
    assert dialog.status_code == 200
    assert dialog["HX-Retarget"] == "#dialog-slot"
    assert f'<option value="{lost_reason.pk}">Price too high</option>' in dialog.text
    assert_no_inline_script(dialog)

    without_reason = client.post(url, {"version": 1, "note": "meh"}, **HTMX)
    assert without_reason.status_code == 422
    assert "Choose why the deal was lost." in without_reason.text
    assert reload(deal).status == Deal.Status.OPEN

    response = client.post(url, {"version": 1, "reason": lost_reason.pk, "note": "Budget"}, **HTMX)
    assert response.status_code == 200
    assert (f"deal-{deal.pk}", "delete") in BoardHTML(response).oob
    deal = reload(deal)
    assert (deal.status, deal.lost_reason, deal.lost_note) == ("lost", lost_reason, "Budget")


# --- new deal from "+" -------------------------------------------------------------------


def new_deal_url(stage) -> str:
    return reverse("deal-new", args=[stage.pipeline_id, stage.pk])


def test_new_deal_from_the_column_lands_on_top(company, login, qualification):
    existing = make_deal(company.rep1, company.sales, qualification)
    client = login(company.rep1)

    dialog = client.get(new_deal_url(qualification), **HTMX)
    assert dialog.status_code == 200
    assert "New deal in Qualification" in dialog.text
    assert_no_inline_script(dialog)

    response = client.post(
        new_deal_url(qualification),
        {
            "title": "Hooli expansion",
            "value": "7500",
            "expected_close_date": "2031-06-30",
            "owner": company.rep1.pk,
            "organization_name": "Hooli",
            "person_name": "Gavin Belson",
        },
        **HTMX,
    )

    assert response.status_code == 200
    deal = Deal.objects.get(title="Hooli expansion")
    assert (deal.stage_id, deal.position, deal.owner, deal.value) == (
        qualification.pk,
        0,
        company.rep1,
        Decimal(7500),
    )
    assert deal.organization.name == "Hooli"
    assert (deal.person.name, deal.person.organization) == ("Gavin Belson", deal.organization)
    assert reload(existing).position == 1
    assert BoardHTML(response).cards[qualification.pk] == [deal.pk, existing.pk]
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.CREATED).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"title": ""}, "This field is required."),
        ({"value": "-5"}, "Ensure this value is greater than or equal to 0"),
        ({"expected_close_date": "someday"}, "Enter a valid date."),
    ],
)
def test_invalid_new_deal_answers_422_and_creates_nothing(
    company, login, qualification, data, error
):
    body = {"title": "Valid title", "value": "10", "owner": company.rep1.pk, **data}

    response = login(company.rep1).post(new_deal_url(qualification), body, **HTMX)

    assert response.status_code == 422
    assert error in response.text
    assert not Deal.objects.exists()
    assert not Organization.objects.exists()


def test_rep_creates_deals_only_for_themselves(company, login, qualification):
    client = login(company.rep1)

    dialog = client.get(new_deal_url(qualification), **HTMX)
    owners = re.findall(r'<option value="(\d+)"', dialog.text)
    assert owners == [str(company.rep1.pk)]

    response = client.post(
        new_deal_url(qualification), {"title": "Sneaky", "owner": company.rep2.pk}, **HTMX
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.text
    assert not Deal.objects.exists()


def test_manager_creates_deals_for_the_team(company, login, qualification):
    response = login(company.manager).post(
        new_deal_url(qualification), {"title": "For rep2", "owner": company.rep2.pk}, **HTMX
    )

    assert response.status_code == 200
    assert Deal.objects.get(title="For rep2").owner == company.rep2


# --- live refresh -------------------------------------------------------------------------


def test_live_refresh_says_nothing_until_another_user_changes_the_board(
    company, login, prospecting, qualification, django_assert_max_num_queries
):
    deal = make_deal(company.rep1, company.sales, prospecting)
    poll_url = BoardHTML(login(company.rep1).get(board_url(company.sales))).poll_url
    # The token is signed: the poll needs no session, so a cookie-less client will do.
    poller = Client()

    with django_assert_max_num_queries(1):
        unchanged = poller.get(poll_url, **HTMX)
    assert unchanged.status_code == 204

    deal_move(user=company.manager, deal=deal, stage=qualification, version=deal.version)

    changed = poller.get(poll_url, **HTMX)
    assert changed.status_code == 200
    assert "board-changed" in changed["HX-Trigger"]


def test_live_refresh_sees_a_card_leave_the_board(company, login, qualification, lost_reason):
    deal = make_deal(company.rep1, company.sales, qualification)
    poll_url = BoardHTML(login(company.rep1).get(board_url(company.sales))).poll_url
    login(company.manager).post(
        reverse("deal-lost", args=[deal.pk]), {"version": 1, "reason": lost_reason.pk}, **HTMX
    )

    assert Client().get(poll_url).status_code == 200


def test_live_refresh_rejects_forged_or_foreign_tokens(company, login):
    poll_url = BoardHTML(login(company.rep1).get(board_url(company.sales))).poll_url
    path, token = poll_url.split("?token=")
    forged = signing.dumps({"u": 1, "p": company.sales.pk, "t": "x"}, salt="another-salt")
    private_path = reverse("board-changes", args=[company.private.pk])
    poller = Client()

    assert poller.get(f"{path}?token=garbage").status_code == 400
    assert poller.get(f"{path}?token={token[:-3]}abc").status_code == 400
    assert poller.get(path, {"token": forged}).status_code == 400
    assert poller.get(path).status_code == 400
    # A token of one board cannot watch another.
    assert poller.get(f"{private_path}?token={token}").status_code == 400


# --- CSP: no inline scripts anywhere on the board -------------------------------------------


def test_board_pages_and_fragments_carry_no_inline_script(
    company, login, settings, prospecting, qualification, lost_reason
):
    settings.BOARD_PAGE_SIZE = 1
    make_item(prospecting, EXIT, text="Budget confirmed")
    deals = [make_deal(company.rep1, company.sales, prospecting) for _ in range(3)]
    client = login(company.rep1)
    columns_fragment = {**HTMX, "HTTP_HX_TARGET": "board-columns"}

    responses = [
        client.get(board_url(company.sales)),
        client.get(board_url(company.sales, q="deal", stalled="1"), **columns_fragment),
        client.get(reverse("column-more", args=[company.sales.pk, prospecting.pk]) + "?offset=1"),
        client.get(reverse("deal-move", args=[deals[0].pk]), **HTMX),
        move(client, deals[0], qualification),  # refused: the completion dialog
        move(client, deals[0], prospecting, position=1),  # reorder
        move(client, deals[1], qualification, version=99),  # conflict
        client.get(reverse("deal-lost", args=[deals[1].pk]), **HTMX),
        client.post(reverse("deal-lost", args=[deals[1].pk]), {"version": 1}, **HTMX),
        client.get(new_deal_url(qualification), **HTMX),
        client.post(new_deal_url(qualification), {"title": ""}, **HTMX),
    ]

    statuses = [200, 200, 200, 200, 409, 200, 409, 200, 422, 200, 422]
    assert [response.status_code for response in responses] == statuses
    assert "<html" not in responses[1].text  # the columns alone, for the filters and refresh
    for response in responses:
        assert_no_inline_script(response)


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
