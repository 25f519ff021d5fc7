"""Custom fields of every type, and deals holding values, for the tests of the lists,
filters, search and CSV (docs/domain/custom-fields.md, "Lists, filters, CSV")."""

import re
from html import unescape

import pytest

from pipelines.models import CustomField
from tests.factories import make_custom_field

Type = CustomField.Type


@pytest.fixture
def fields(company):
    """One field of every type: budget and the competitor for every pipeline, the rest on
    Sales."""
    sales = company.sales
    return {
        "note": make_custom_field("Competitor note", Type.TEXT, pipeline=sales),
        "background": make_custom_field("Background", Type.LONG_TEXT, pipeline=sales),
        "term": make_custom_field("Term months", Type.NUMBER, pipeline=sales),
        "budget": make_custom_field("Budget", Type.MONEY),
        "deadline": make_custom_field("Tender deadline", Type.DATE, pipeline=sales),
        "competitor": make_custom_field(
            "Competitor", Type.SINGLE_CHOICE, options=("Acme", "Globex", "Initech")
        ),
        "products": make_custom_field(
            "Products", Type.MULTIPLE_CHOICE, pipeline=sales, options=("CRM", "ERP", "BI")
        ),
        "confirmed": make_custom_field("Budget confirmed", Type.YES_NO, pipeline=sales),
        "contact": make_custom_field("Technical contact", Type.USER, pipeline=sales),
        "page": make_custom_field("Tender page", Type.URL, pipeline=sales),
    }


def table_titles(response) -> list[str]:
    """The deal titles of the Deals page's table, in order."""
    html = response.content.decode()
    tbody = re.search(r'<table class="data deals-table">.*?<tbody>(.*?)</tbody>', html, re.S)[1]
    return [unescape(t) for t in re.findall(r'<td><a href="/deals/\d+/">([^<]+)</a>', tbody)]


def table_rows(response) -> list[list[str]]:
    """The cells' texts of each row of the Deals page's table (the checkbox cell dropped)."""
    html = response.content.decode()
    tbody = re.search(r'<table class="data deals-table">.*?<tbody>(.*?)</tbody>', html, re.S)[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", tbody, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1:]
        rows.append([_text(cell) for cell in cells])
    return rows


def table_headers(response) -> list[str]:
    html = response.content.decode()
    thead = re.search(r'<table class="data deals-table">.*?<thead>(.*?)</thead>', html, re.S)[1]
    cells = re.findall(r"<th[^>]*>(.*?)</th>", thead, re.S)[1:]
    return [_text(cell).rstrip(" ▲▼") for cell in cells]


def _text(html: str) -> str:
    """The text of a cell, spaces collapsed (a no-break space is kept: money has one)."""
    return re.sub(r"[ \t\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()
