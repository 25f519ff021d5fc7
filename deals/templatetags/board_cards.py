"""``{% board_cards cards %}``: the board's cards, rendered by the Jinja2 card template.

The one place that prepares what a card template needs: URLs reversed once, the locale's
formats read once, deal models turned into cards (docs/decisions/0011-jinja2-for-board-cards.md).
"""

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from deals.checklist_rules import automatic_hint, log_now_hint
from deals.models import Deal
from deals.selectors.cards import Card
from pipelinecrm.formats import PageFormats
from pipelinecrm.url_templates import url_pattern

register = template.Library()

CARD_URLS = {
    "move": "deal-move",
    "won": "deal-won",
    "lost": "deal-lost",
    "detail": "deal-detail",
    "dialog": "deal-dialog",
}


def render_cards(cards: list[Card | Deal], *, oob: bool = False) -> SafeString:
    """Each card with its value and close date formatted here, once per distinct value,
    rather than by a call from the template per card."""
    formats = PageFormats()
    rows = []
    for card in cards:
        if isinstance(card, Deal):
            card = Card.from_deal(card)
        value = None if card.value is None else formats.money(card.value)
        close = card.expected_close_date and formats.day_month(card.expected_close_date)
        rows.append((card, value, close))
    context = {
        "rows": rows,
        "oob": oob,
        "urls": {key: url_pattern(name) for key, name in CARD_URLS.items()},
    }
    html = engines["jinja2"].env.get_template("deals/cards.html").render(context)
    # Safe: the Jinja2 environment autoescapes every value it prints.
    return mark_safe(html)  # noqa: S308


@register.simple_tag
def board_cards(cards, oob=False) -> SafeString:
    return render_cards(cards, oob=oob)


@register.simple_tag
def board_card(card, oob=False) -> SafeString:
    return render_cards([card], oob=oob)


# The checklist's sentences about automatic items (the deal page and the checklist dialog).
register.filter("automatic_hint", automatic_hint)
register.filter("log_now_hint", log_now_hint)
