"""Custom-field values through the deals API (docs/domain/api.md, "Custom fields"): the typed
``custom_fields`` object of every deal answer, partial writes on create and edit, their
refusals in the API's one error shape, archived fields and versions."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from deals.models import Deal, DealEvent
from pipelines.models import CustomField
from tests.factories import make_custom_field, make_deal, reload

Type = CustomField.Type


def _url(deal: Deal, action: str = "") -> str:
    return f"/api/v1/deals/{deal.pk}/{action + '/' if action else ''}"


@pytest.fixture
def rep1(company, api):
    """An API client for rep1, who owns ``deal``."""
    return api(company.rep1)


@pytest.fixture
def fields(company):
    """One field of every type on Sales; budget and competitor on every pipeline."""
    sales = company.sales
    return [
        make_custom_field("Competitor note", Type.TEXT, pipeline=sales),
        make_custom_field("Background", Type.LONG_TEXT, pipeline=sales),
        make_custom_field("Term months", Type.NUMBER, pipeline=sales),
        make_custom_field("Budget", Type.MONEY),
        make_custom_field("Tender deadline", Type.DATE, pipeline=sales),
        make_custom_field("Competitor", Type.SINGLE_CHOICE, options=("Acme", "Globex", "Initech")),
        make_custom_field("Products", Type.MULTIPLE_CHOICE, pipeline=sales, options=("CRM", "ERP")),
        make_custom_field("Budget confirmed", Type.YES_NO, pipeline=sales),
        make_custom_field("Technical contact", Type.USER, pipeline=sales),
        make_custom_field("Tender page", Type.URL, pipeline=sales),
    ]


EMPTY = {
    "competitor_note": None,
    "background": None,
    "term_months": None,
    "budget": None,
    "tender_deadline": None,
    "competitor": None,
    "products": None,
    "budget_confirmed": None,
    "technical_contact": None,
    "tender_page": None,
}


def every_value(company) -> dict:
    """A value of every type as a client sends it, and as the API answers it."""
    sent = {
        "competitor_note": "  Cheaper, slower ",
        "background": "Long story",
        "term_months": "-2.5",
        "budget": 12500.5,
        "tender_deadline": "2027-03-31",
        "competitor": "globex",
        "products": ["erp", "crm"],
        "budget_confirmed": False,
        "technical_contact": company.rep2.pk,
        "tender_page": "example.com/tender",
    }
    answered = {
        "competitor_note": "Cheaper, slower",
        "background": "Long story",
        "term_months": "-2.5000",
        "budget": "12500.50",
        "tender_deadline": "2027-03-31",
        "competitor": "globex",
        "products": ["crm", "erp"],
        "budget_confirmed": False,
        "technical_contact": company.rep2.pk,
        "tender_page": "https://example.com/tender",
    }
    return sent, answered


# -- reading ------------------------------------------------------------------------------


def test_a_deal_lists_every_field_of_its_pipeline_null_when_empty(rep1, deal, fields):
    response = rep1.get(_url(deal))

    assert response.status_code == 200
    assert response.json()["custom_fields"] == EMPTY
    assert list(response.json()["custom_fields"]) == [field.key for field in fields]


def test_keys_follow_the_designer_order_in_every_answer(rep1, deal, fields):
    CustomField.objects.update(position=F("position") + 1)
    CustomField.objects.filter(key="tender_page").update(position=0)
    # Equal positions: the older field first.
    CustomField.objects.filter(key="budget").update(position=1)

    one = list(rep1.get(_url(deal)).json()["custom_fields"])
    listed = list(rep1.get("/api/v1/deals/").json()["results"][0]["custom_fields"])

    assert one == listed
    assert one[:3] == ["tender_page", "competitor_note", "budget"]


def test_a_deal_without_fields_has_an_empty_object(rep1, deal):
    assert rep1.get(_url(deal)).json()["custom_fields"] == {}


def test_values_are_typed_in_every_answer(rep1, company, deal, fields):
    sent, answered = every_value(company)
    response = rep1.patch(_url(deal), {"version": deal.version, "custom_fields": sent})

    assert response.status_code == 200, response.content
    assert response.json()["custom_fields"] == answered
    assert rep1.get(_url(deal)).json()["custom_fields"] == answered
    listed = rep1.get("/api/v1/deals/").json()["results"]
    assert [d["custom_fields"] for d in listed if d["id"] == deal.pk] == [answered]
    board = rep1.get(f"/api/v1/board/{company.sales.pk}/").json()
    cards = [card for column in board["columns"] for card in column["cards"]]
    assert [c["custom_fields"] for c in cards if c["id"] == deal.pk] == [answered]


def test_a_deal_shows_only_the_fields_of_its_own_pipeline(rep1, company, fields):
    renewal = make_deal(company.rep1, company.private, custom_fields={"competitor": "acme"})

    answer = rep1.get(_url(renewal)).json()["custom_fields"]

    assert answer == {"budget": None, "competitor": "acme"}


def test_an_archived_field_is_absent_and_keeps_its_value(rep1, company, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"budget": 900})
    CustomField.objects.filter(key="budget").update(is_archived=True)

    answer = rep1.get(_url(deal)).json()["custom_fields"]

    assert "budget" not in answer
    assert reload(deal).custom_fields == {"budget": "900"}


def test_an_archived_option_still_held_is_answered(rep1, company, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"competitor": "initech"})
    fields[5].options.filter(key="initech").update(is_archived=True)

    assert rep1.get(_url(deal)).json()["custom_fields"]["competitor"] == "initech"


def test_the_move_answer_carries_the_values(rep1, company, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"budget": 10, "products": ["crm"]})

    response = rep1.post(
        _url(deal, "move"), {"stage": company.stages[1].pk, "version": deal.version}
    )

    assert response.status_code == 200, response.content
    assert response.json()["custom_fields"] == EMPTY | {"budget": "10.00", "products": ["crm"]}


def test_a_move_to_another_pipeline_answers_with_that_pipelines_fields(api, company, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"budget": 10, "background": "x"})
    target = company.private.stages.order_by("position").first()

    response = api(company.rep1).post(
        _url(deal, "move"),
        {"stage": target.pk, "pipeline": company.private.pk, "version": deal.version},
    )

    assert response.status_code == 200, response.content
    assert response.json()["custom_fields"] == {"budget": "10.00", "competitor": None}


@pytest.mark.parametrize("with_fields", [False, True])
def test_an_api_reorder_still_takes_eight_statements(rep1, company, with_fields):
    """docs/performance/move-request.md: the definitions come with the deal's first read."""
    if with_fields:
        for n in range(20):
            make_custom_field(f"Field {n}", Type.TEXT, pipeline=company.sales if n % 2 else None)
    stage = company.stages[1]
    values = {"field_1": "x"} if with_fields else {}
    for _ in range(5):
        make_deal(company.rep1, company.sales, stage=stage, custom_fields=values)
    deal = company.rep1.deals.filter(stage=stage).order_by("position")[1]
    rep1.get("/api/v1/users/")  # the token's first use records it (not counted below)

    with CaptureQueriesContext(connection) as queries:
        response = rep1.post(
            _url(deal, "move"), {"stage": stage.pk, "version": deal.version, "position": 0}
        )

    assert response.status_code == 200, response.content
    assert len(queries) == 8
    assert len(response.json()["custom_fields"]) == (20 if with_fields else 0)


# -- writing ------------------------------------------------------------------------------


def test_only_the_keys_sent_change_and_null_clears(rep1, company, fields):
    deal = make_deal(
        company.rep1, company.sales, custom_fields={"budget": 10, "competitor": "acme"}
    )

    response = rep1.patch(
        _url(deal),
        {"version": deal.version, "custom_fields": {"competitor": None, "term_months": 3}},
    )

    assert response.status_code == 200, response.content
    assert reload(deal).custom_fields == {"budget": "10", "term_months": "3"}
    assert response.json()["version"] == deal.version + 1
    events = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED)
    assert {e.data["custom_field"]: e.data["new_value"] for e in events} == {
        "competitor": None,
        "term_months": "3",
    }


def test_custom_fields_and_other_fields_change_together(rep1, deal, fields):
    response = rep1.patch(
        _url(deal),
        {"version": deal.version, "title": "Bigger", "custom_fields": {"budget": "5"}},
    )

    assert response.status_code == 200, response.content
    deal = reload(deal)
    assert (deal.title, deal.custom_fields) == ("Bigger", {"budget": "5"})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("competitor_note", "x" * 201, "At most 200 characters."),
        ("term_months", "1.23456", "At most 4 digits after the decimal separator."),
        ("budget", "-5", "An amount cannot be negative."),
        ("budget", "a lot", "Enter a number."),
        ("budget", True, "Enter a number."),
        ("tender_deadline", "31.03.2027", "Enter a date as YYYY-MM-DD."),
        ("competitor", "umbrella", "Not an option of this field: umbrella."),
        ("competitor", ["acme"], "Send a string."),
        ("products", "crm", "Send a list of option keys."),
        ("products", ["crm", "bi"], "Not an option of this field: bi."),
        ("budget_confirmed", "yes", "Send true or false."),
        ("technical_contact", "rep2", "Send the user's id."),
        ("technical_contact", 999_999, "Choose an active user."),
        ("tender_page", "not a web address", "Enter a web address such as https://example.com."),
    ],
)
def test_a_refused_value_is_a_400_naming_its_key(rep1, deal, fields, key, value, message):
    response = rep1.patch(_url(deal), {"version": deal.version, "custom_fields": {key: value}})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {"custom_fields": {key: [message]}}
    assert reload(deal).custom_fields == {}
    assert reload(deal).version == deal.version


def test_every_refused_key_is_named_and_nothing_changes(rep1, deal, fields):
    response = rep1.patch(
        _url(deal),
        {
            "version": deal.version,
            "title": "Renamed",
            "custom_fields": {"budget": "x", "competitor": "acme", "budgte": 1},
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "custom_fields": {
            "budget": ["Enter a number."],
            "budgte": ["This deal has no field “budgte”."],
        }
    }
    assert (reload(deal).title, reload(deal).custom_fields) == (deal.title, {})


def test_a_field_of_another_pipeline_or_archived_is_refused(rep1, company, fields):
    renewal = make_deal(company.rep1, company.private)
    CustomField.objects.filter(key="competitor").update(is_archived=True)

    response = rep1.patch(
        _url(renewal),
        {"version": renewal.version, "custom_fields": {"background": "x", "competitor": "acme"}},
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]["custom_fields"]) == {"background", "competitor"}


@pytest.mark.parametrize("body", [[], "budget=5", None])
def test_custom_fields_must_be_an_object(rep1, deal, fields, body):
    response = rep1.patch(_url(deal), {"version": deal.version, "custom_fields": body})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["custom_fields"]


def test_a_stale_version_changes_nothing(rep1, deal, fields):
    rep1.patch(_url(deal), {"version": deal.version, "custom_fields": {"budget": "1"}})

    response = rep1.patch(_url(deal), {"version": deal.version, "custom_fields": {"budget": "2"}})

    assert response.status_code == 409
    assert response.json() == {
        "code": "version_conflict",
        "message": response.json()["message"],
        "current_version": deal.version + 1,
    }
    assert reload(deal).custom_fields == {"budget": "1"}


def test_a_read_only_viewer_cannot_write_values(api, company, deal, fields):
    response = api(company.rep2).patch(
        _url(deal), {"version": deal.version, "custom_fields": {"budget": "1"}}
    )

    assert response.status_code == 403
    assert reload(deal).custom_fields == {}


# -- creating -----------------------------------------------------------------------------


def _create(client, company, **body):
    stage = company.stages[0]
    body = {"title": "From the API", "pipeline": company.sales.pk, "stage": stage.pk, **body}
    return client.post("/api/v1/deals/", body)


def test_a_deal_is_created_with_its_values(rep1, company, fields):
    sent, answered = every_value(company)

    response = _create(rep1, company, custom_fields=sent)

    assert response.status_code == 201, response.content
    assert response.json()["custom_fields"] == answered
    deal = Deal.objects.get(pk=response.json()["id"])
    assert deal.custom_fields["tender_deadline"] == "2027-03-31"
    assert deal.custom_fields["budget"] == "12500.5"


def test_creating_with_a_refused_value_creates_nothing(rep1, company, fields):
    response = _create(rep1, company, custom_fields={"tender_deadline": "soon", "unknown": "x"})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "custom_fields": {
            "tender_deadline": ["Enter a date as YYYY-MM-DD."],
            "unknown": ["This deal has no field “unknown”."],
        }
    }
    assert not Deal.objects.filter(title="From the API").exists()


def test_creating_in_another_pipeline_checks_that_pipelines_fields(rep1, company, fields):
    stage = company.private.stages.order_by("position").first()

    response = rep1.post(
        "/api/v1/deals/",
        {
            "title": "Renewal",
            "pipeline": company.private.pk,
            "stage": stage.pk,
            "custom_fields": {"term_months": 12},
        },
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]["custom_fields"]) == ["term_months"]


def test_the_deals_list_takes_the_deals_pages_custom_field_filters(rep1, company, fields):
    """``cf_<key>`` filters of the Deals page work on /api/v1/deals/ too, junk ignored."""
    acme = make_deal(
        company.rep1, company.sales, title="Acme", custom_fields={"competitor": "acme"}
    )
    big = make_deal(
        company.rep1,
        company.sales,
        title="Big",
        custom_fields={"competitor": "globex", "budget": 50000},
    )
    make_deal(company.rep1, company.sales, title="Nothing set")

    def titles(query: str) -> list[str]:
        answer = rep1.get(f"/api/v1/deals/?{query}")
        assert answer.status_code == 200, answer.content
        return sorted(deal["title"] for deal in answer.json()["results"])

    assert titles("cf_competitor=acme") == [acme.title]
    assert titles("cf_competitor=acme,globex") == [acme.title, big.title]
    assert titles("cf_budget__min=10000") == [big.title]
    assert titles(f"pipeline={company.sales.pk}&cf_budget=__empty") == [acme.title, "Nothing set"]
    assert titles("cf_competitor=umbrella&cf_unknown=1") == [acme.title, big.title, "Nothing set"]
