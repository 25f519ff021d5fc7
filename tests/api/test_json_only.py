"""The API speaks JSON only and refuses what it would otherwise silently misread:
other media types, malformed JSON, unknown or read-only fields, out-of-range values."""

import pytest

from tests import factories


def test_a_form_encoded_body_answers_415(rep1):
    response = rep1.post("/api/v1/organizations/", {"name": "Acme"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_malformed_json_answers_400(rep1):
    response = rep1.post(
        "/api/v1/organizations/", '{"name": "Acme",', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_only_json_is_offered(rep1):
    response = rep1.get("/api/v1/deals/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"


def test_unknown_fields_are_refused_not_ignored(rep1, company):
    deal = factories.make_deal(company.rep1, company.sales)

    created = rep1.post("/api/v1/organizations/", {"name": "Acme", "colour": "red"})
    moved = rep1.post(
        f"/api/v1/deals/{deal.pk}/move/",
        {"stage": company.stages[1].pk, "version": deal.version, "stgae": 3},
    )

    assert created.status_code == 400
    assert created.json()["errors"] == {"colour": ["This field is not accepted here."]}
    assert moved.status_code == 400
    assert set(moved.json()["errors"]) == {"stgae"}
    deal.refresh_from_db()
    assert deal.stage == company.stages[0]


def test_read_only_fields_sent_back_are_refused(rep1, company):
    deal = factories.make_deal(company.rep1, company.sales)

    response = rep1.patch(
        f"/api/v1/deals/{deal.pk}/", {"version": deal.version, "status": "won", "title": "X"}
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status"}
    deal.refresh_from_db()
    assert (deal.status, deal.title) == ("open", deal.title)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"value": "-1.00"}, "value"),
        ({"value": "1e20"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"pipeline": 10**30}, "pipeline"),
        ({"pipeline": -1}, "pipeline"),
        ({"title": "nul\x00byte"}, "title"),
        ({"expected_close_date": "31/12/2026"}, "expected_close_date"),
    ],
)
def test_bad_values_are_field_errors(rep1, company, body, field):
    valid = {"title": "Big deal", "pipeline": company.sales.pk, "stage": company.stages[0].pk}

    response = rep1.post("/api/v1/deals/", {**valid, **body})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "-5"}, "value"),
        ({"probability_override": 101}, "probability_override"),
        ({"probability_override": -1}, "probability_override"),
        ({"version": 0}, "version"),
        ({"version": None, "title": "No version"}, "version"),
    ],
)
def test_edits_out_of_range_are_refused(rep1, company, body, field):
    deal = factories.make_deal(company.rep1, company.sales)
    body = {"version": deal.version, **body}
    if body["version"] is None:
        del body["version"]

    response = rep1.patch(f"/api/v1/deals/{deal.pk}/", body)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_negative_position_is_refused(rep1, company):
    deal = factories.make_deal(company.rep1, company.sales)

    response = rep1.post(
        f"/api/v1/deals/{deal.pk}/move/",
        {"stage": company.stages[0].pk, "position": -1, "version": deal.version},
    )

    assert response.status_code == 400
    assert "position" in response.json()["errors"]


def test_long_texts_are_bounded(rep1, company, api):
    admin = api(company.admin)

    response = admin.patch(f"/api/v1/stages/{company.stages[0].pk}/", {"guidance": "x" * 5001})

    assert response.status_code == 400
    assert "guidance" in response.json()["errors"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/nothing-here/"),
        ("get", "/api/v1/deals/abc/"),
        ("post", "/api/v1/deals/1.5/move/"),
        ("get", "/api/v1/board/99999999999999999999999/"),
    ],
)
def test_unknown_paths_answer_404_in_json(rep1, method, path):
    response = getattr(rep1, method)(path, {})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_page_size_is_bounded(rep1, company):
    response = rep1.get("/api/v1/stages/", {"page_size": 100_000})

    assert response.status_code == 200
    assert response.json()["count"] == 8


def test_a_bad_filter_value_is_a_field_error(rep1):
    response = rep1.get("/api/v1/deals/", {"owner": "someone", "status": "maybe"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"owner", "status"}
