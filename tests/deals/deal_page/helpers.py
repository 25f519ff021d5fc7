"""Reading the deal page."""

import re

from django.urls import reverse

from pipelines.models import ChecklistItem

HTMX = {"HTTP_HX_REQUEST": "true"}
EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY


def _text(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&quot;", '"')


def _page(client, deal, **extra):
    return client.get(reverse("deal-detail", args=[deal.pk]), **extra)
