"""``{% board_cards cards %}``: the board's cards, rendered by the Jinja2 card template.

The one place that prepares what a card template needs: URLs reversed once, the locale's
formats read once, deal models turned into cards (docs/decisions/0011-jinja2-for-board-cards.md).
"""

from django import template
from django.template import engines
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from deals.checklist_rules import automatic_hint, log_now_hint
from deals.models import Deal
from deals.selectors.cards import Card
from pipelinecrm.calendar import company_today
from pipelinecrm.formats import PageFormats, close_date
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
        day = card.expected_close_date
        close = day and formats.close_date(day)
        late = day is not None and day < formats.today
        rows.append((card, value, close, late, card_organization(card)))
    context = {
        "rows": rows,
        "oob": oob,
        "urls": {key: url_pattern(name) for key, name in CARD_URLS.items()},
    }
    html = engines["jinja2"].env.get_template("deals/cards.html").render(context)
    # Safe: the Jinja2 environment autoescapes every value it prints.
    return mark_safe(html)  # noqa: S308


def card_organization(card: Card) -> str | None:
    """The organization's name for its own line, unless the title already names it (as
    "Umbrella – CRM rollout" does): a card names it once (docs/domain/board.md)."""
    name = card.organization_name
    if not name or name.casefold() in card.title.casefold():
        return None
    return name


@register.simple_tag
def board_cards(cards, oob=False) -> SafeString:
    return render_cards(cards, oob=oob)


@register.simple_tag
def board_card(card, oob=False) -> SafeString:
    return render_cards([card], oob=oob)


@register.simple_tag
def overdue_close_date(deal: Deal) -> str:
    """The deal page's mark for an open deal whose expected close date has passed (today
    in the company's time zone), with the year when it is not this year's; else nothing
    (docs/domain/board.md)."""
    day = deal.expected_close_date
    today = company_today()
    if deal.status != Deal.Status.OPEN or day is None or day >= today:
        return ""
    return format_html(
        '<span class="badge badge-late" data-testid="close-overdue">{}</span>',
        _("Overdue: expected close %(date)s") % {"date": close_date(day, today)},
    )


# The checklist's sentences about automatic items (the deal page and the checklist dialog).
register.filter("automatic_hint", automatic_hint)
register.filter("log_now_hint", log_now_hint)
