"""Custom-field tests (docs/domain/custom-fields.md)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A page read by a German or Dutch user leaves that language active in the test's
    thread (the middleware activates it and nothing switches back): the next test starts
    in the default language again, whatever the order."""
    yield
    translation.deactivate()
