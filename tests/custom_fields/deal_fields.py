"""Custom fields of the Sales pipeline as the deal page, the create dialog, the card and
the timeline tests use them (docs/domain/custom-fields.md, "Where values show")."""

import re
from html.parser import HTMLParser
from types import SimpleNamespace

from pipelines.models import CustomField
from tests.factories import make_custom_field

Type = CustomField.Type


def sales_fields(company) -> SimpleNamespace:
    """One field of every type: budget (every pipeline) and the others on Sales; budget,
    competitor and budget confirmed show on the card."""
    sales = company.sales
    return SimpleNamespace(
        budget=make_custom_field("Budget", Type.MONEY, show_on_card=True),
        competitor=make_custom_field(
            "Competitor",
            Type.SINGLE_CHOICE,
            pipeline=sales,
            options=("Acme", "Globex", "Initech"),
            show_on_card=True,
        ),
        confirmed=make_custom_field(
            "Budget confirmed", Type.YES_NO, pipeline=sales, show_on_card=True
        ),
        products=make_custom_field(
            "Products", Type.MULTIPLE_CHOICE, pipeline=sales, options=("CRM", "ERP")
        ),
        term=make_custom_field(
            "Term months", Type.NUMBER, pipeline=sales, help_text="Length of the contract."
        ),
        deadline=make_custom_field("Tender deadline", Type.DATE, pipeline=sales),
        note=make_custom_field("Competitor note", Type.TEXT, pipeline=sales),
        background=make_custom_field("Background", Type.LONG_TEXT, pipeline=sales),
        contact=make_custom_field("Technical contact", Type.USER, pipeline=sales),
        page=make_custom_field("Tender page", Type.URL, pipeline=sales),
    )


def text_of(html: str) -> str:
    """Visible text: tags removed, spaces collapsed, the few entities decoded."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    # ASCII whitespace only: amounts keep their no-break space ("12.500\u00a0€").
    text = re.sub(r"[ \t\n\r\f\v]+", " ", re.sub(r"<[^>]+>", " ", html))
    for entity, char in (("&quot;", '"'), ("&#x27;", "'"), ("&amp;", "&"), ("&nbsp;", "\u00a0")):
        text = text.replace(entity, char)
    return text


class FormData(HTMLParser):
    """What a browser would send from the form whose ``action`` is given (None: a form
    without one, which htmx posts), as the page rendered it: text inputs and text areas,
    checked boxes, each select's chosen option (the first when none is marked selected,
    as a browser does)."""

    def __init__(self, html: str, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside = action, False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value") or "", "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            first = [value for value, _selected in self._options[:1]]
            self.data[self._select] = chosen or first
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data.removeprefix("\n")

    def with_changes(self, **changes) -> dict:
        """The form's data with ``changes`` (a list for several values, "" to empty)."""
        data = dict(self.data)
        data |= {
            name: value if isinstance(value, list) else [value] for name, value in changes.items()
        }
        return data
