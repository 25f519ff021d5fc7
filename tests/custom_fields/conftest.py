"""Custom-field tests (docs/domain/custom-fields.md)."""

import pytest
from django.utils import translation

from pipelines.models import CustomField
from tests.factories import make_custom_field

Type = CustomField.Type


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A page read by a German or Dutch user leaves that language active in the test's
    thread (the middleware activates it and nothing switches back): the next test starts
    in the default language again, whatever the order."""
    yield
    translation.deactivate()


@pytest.fixture
def fields(company):
    """One field of every type, keyed by type: budget and the competitor for every
    pipeline, the others on Sales."""
    sales = company.sales
    return {
        "text": make_custom_field("Competitor note", Type.TEXT, pipeline=sales),
        "long": make_custom_field("Background", Type.LONG_TEXT, pipeline=sales),
        "number": make_custom_field("Term months", Type.NUMBER, pipeline=sales),
        "money": make_custom_field("Budget", Type.MONEY),
        "date": make_custom_field("Tender deadline", Type.DATE, pipeline=sales),
        "single": make_custom_field(
            "Competitor", Type.SINGLE_CHOICE, options=("Acme", "Globex", "Initech")
        ),
        "multi": make_custom_field(
            "Products", Type.MULTIPLE_CHOICE, pipeline=sales, options=("CRM", "ERP", "BI")
        ),
        "yes_no": make_custom_field("Budget confirmed", Type.YES_NO, pipeline=sales),
        "user": make_custom_field("Technical contact", Type.USER, pipeline=sales),
        "url": make_custom_field("Tender page", Type.URL, pipeline=sales),
    }
