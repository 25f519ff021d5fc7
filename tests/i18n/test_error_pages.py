"""Error pages speak the user's language too (docs/i18n.md)."""

from django.template.loader import render_to_string
from django.utils import translation


def test_a_missing_page_is_explained_in_german(client, company):
    company.rep1.language = "de"
    company.rep1.save(update_fields=["language"])
    client.force_login(company.rep1)

    response = client.get("/deals/987654/")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="de">' in page
    assert "Seite nicht gefunden" in page


def test_the_server_error_page_renders_in_dutch_without_a_request():
    """A 500 page gets no context and must not touch the database."""
    with translation.override("nl"):
        page = render_to_string("500.html")
    assert '<html lang="nl">' in page
    assert "Er ging iets mis" in page
