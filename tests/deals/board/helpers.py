"""Reading the board's markup and posting moves as the board does."""

from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from urllib.parse import urlencode

from django.urls import reverse

from deals.models import Deal
from pipelines.models import ChecklistItem, Pipeline
from tests.factories import reload

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


def new_deal_url(stage) -> str:
    return reverse("deal-new", args=[stage.pipeline_id, stage.pk])


def snapshot(deal: Deal) -> tuple:
    deal = reload(deal)
    return (deal.stage_id, deal.pipeline_id, deal.position, deal.version, deal.status)
