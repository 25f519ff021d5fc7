"""The API's messages in the client's language (docs/i18n.md): ``message`` is for people
and follows ``Accept-Language`` (else the token owner's language); ``code`` is for
programs and never changes."""

import pytest

from deals.models import Deal
from pipelines.models import ChecklistItem
from tests import factories


def _move(client, deal: Deal, stage, **headers):
    return client.post(
        f"/api/v1/deals/{deal.pk}/move/",
        {"stage": stage.pk, "version": deal.version},
        format="json",
        **headers,
    )


@pytest.fixture
def exit_item(company):
    return factories.make_item(company.stages[0], ChecklistItem.Kind.EXIT, text="Budget confirmed")


def test_a_checklist_refusal_speaks_german_with_the_same_code(rep1, company, deal, exit_item):
    """Needs the compiled catalogs (locale/de)."""
    english = _move(rep1, deal, company.stages[1], HTTP_ACCEPT_LANGUAGE="en")
    german = _move(rep1, deal, company.stages[1], HTTP_ACCEPT_LANGUAGE="de")

    assert english.status_code == german.status_code == 409
    assert english.json()["code"] == german.json()["code"] == "checklist_incomplete"
    assert english.json()["message"] == "Some required checklist items are not done yet."
    assert german.json()["message"] != english.json()["message"]
    assert german["Content-Language"] == "de"
    # The items are the company's own words: never translated.
    assert german.json()["missing"][0]["text"] == "Budget confirmed"


def test_a_validation_refusal_speaks_german_with_the_same_code(rep1, deal):
    """Needs the compiled catalogs (locale/de)."""
    body = {"version": deal.version, "stgae": 3}

    english = rep1.patch(
        f"/api/v1/deals/{deal.pk}/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    german = rep1.patch(f"/api/v1/deals/{deal.pk}/", body, format="json", HTTP_ACCEPT_LANGUAGE="de")

    assert english.status_code == german.status_code == 400
    assert english.json()["code"] == german.json()["code"] == "invalid"
    assert english.json()["message"] == "Some fields are not valid."
    assert german.json()["message"] == "Einige Felder sind ungültig."
    assert german.json()["errors"] == {"stgae": ["Dieses Feld wird hier nicht akzeptiert."]}


def test_a_token_client_gets_its_owners_language_unless_it_asks(api, company, deal):
    """Needs the compiled catalogs (locale/nl) for the Dutch answer."""
    company.rep1.language = "nl"
    company.rep1.save(update_fields=["language"])
    client = api(company.rep1)
    body = {"version": deal.version, "stgae": 3}

    owners = client.patch(f"/api/v1/deals/{deal.pk}/", body, format="json")
    asked = client.patch(
        f"/api/v1/deals/{deal.pk}/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert owners.json()["code"] == asked.json()["code"] == "invalid"
    assert owners.json()["message"] == "Sommige velden zijn ongeldig."
    assert asked.json()["message"] == "Some fields are not valid."


def test_an_invalid_token_is_refused_in_the_asked_language(api):
    """Needs the compiled catalogs (locale/de)."""
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")

    english = client.get("/api/v1/deals/", HTTP_ACCEPT_LANGUAGE="en")
    german = client.get("/api/v1/deals/", HTTP_ACCEPT_LANGUAGE="de")

    assert english.status_code == german.status_code == 401
    assert english.json()["code"] == german.json()["code"] == "authentication_failed"
    assert english.json()["message"] == "Invalid token."
    assert german.json()["message"] == "Ungültiges Token."


def test_an_unknown_endpoint_answers_in_dutch(api):
    """Needs the compiled catalogs (locale/nl)."""
    response = api().get("/api/v1/nothing-here/", HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Dit API-endpoint bestaat niet."}
