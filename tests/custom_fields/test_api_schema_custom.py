"""The deals' ``custom_fields`` in the OpenAPI schema (docs/domain/api.md, "Custom fields"): one
typed property per active field, as defined when the schema is fetched, so generated clients
get types; and real answers that conform to it."""

import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from werkzeug.test import Client

from accounts.api.tokens import api_token_create
from pipelinecrm.wsgi import application
from pipelines.models import CustomField
from tests.factories import make_custom_field, make_deal

Type = CustomField.Type


def components(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)["components"]["schemas"]


@pytest.fixture
def signed_in(company, api):
    return api(company.rep1)


@pytest.fixture
def fields(company):
    """A field of every type; competitor on Sales only, with help text."""
    sales = company.sales
    return [
        make_custom_field("Note", Type.TEXT),
        make_custom_field("Background", Type.LONG_TEXT),
        make_custom_field("Term months", Type.NUMBER),
        make_custom_field("Budget", Type.MONEY),
        make_custom_field("Tender deadline", Type.DATE),
        make_custom_field(
            "Competitor",
            Type.SINGLE_CHOICE,
            pipeline=sales,
            options=("Acme", "Globex", "Initech"),
            help_text="Who else is bidding.",
        ),
        make_custom_field("Products", Type.MULTIPLE_CHOICE, options=("CRM", "ERP")),
        make_custom_field("Budget confirmed", Type.YES_NO),
        make_custom_field("Technical contact", Type.USER),
        make_custom_field("Tender page", Type.URL),
    ]


def test_a_new_field_is_in_the_next_schema(signed_in):
    assert components(signed_in)["CustomFields"].get("properties", {}) == {}

    make_custom_field("Budget", Type.MONEY, help_text="Approved by the customer.")

    budget = components(signed_in)["CustomFields"]["properties"]["budget"]
    assert budget == {
        "type": "string",
        "format": "decimal",
        "pattern": r"^\d{0,12}(?:\.\d{0,2})?$",
        "nullable": True,
        "title": "Budget",
        "description": "Approved by the customer.",
    }


def test_each_type_has_its_json_type(signed_in, fields):
    properties = components(signed_in)["CustomFields"]["properties"]

    assert list(properties) == [field.key for field in fields]
    typed = {
        key: {k: v for k, v in p.items() if k not in {"title", "description"}}
        for key, p in properties.items()
    }
    assert typed == {
        "note": {"type": "string", "maxLength": 200, "nullable": True},
        "background": {"type": "string", "maxLength": 5000, "nullable": True},
        "term_months": {
            "type": "string",
            "format": "decimal",
            "pattern": r"^-?\d{0,10}(?:\.\d{0,4})?$",
            "nullable": True,
        },
        "budget": {
            "type": "string",
            "format": "decimal",
            "pattern": r"^\d{0,12}(?:\.\d{0,2})?$",
            "nullable": True,
        },
        "tender_deadline": {"type": "string", "format": "date", "nullable": True},
        "competitor": {
            "type": "string",
            "enum": ["acme", "globex", "initech", None],
            "nullable": True,
        },
        "products": {
            "type": "array",
            "items": {"type": "string", "enum": ["crm", "erp"]},
            "uniqueItems": True,
            "nullable": True,
        },
        "budget_confirmed": {"type": "boolean", "nullable": True},
        "technical_contact": {"type": "integer", "minimum": 1, "nullable": True},
        "tender_page": {"type": "string", "format": "uri", "maxLength": 500, "nullable": True},
    }


def test_names_help_texts_and_pipelines_describe_the_fields(signed_in, fields):
    properties = components(signed_in)["CustomFields"]["properties"]

    assert properties["budget_confirmed"]["title"] == "Budget confirmed"
    assert "description" not in properties["budget_confirmed"]
    assert properties["competitor"]["description"] == (
        "Who else is bidding. Only on the deals of the pipeline “Sales”."
    )


def test_writes_offer_the_active_options_and_refuse_other_keys(signed_in, fields):
    fields[5].options.filter(key="initech").update(is_archived=True)
    CustomField.objects.filter(key="note").update(is_archived=True)

    schemas = components(signed_in)
    read, write = schemas["CustomFields"], schemas["CustomFieldsRequest"]

    # A deal may still hold an archived option; nobody may choose it any more.
    assert read["properties"]["competitor"]["enum"] == ["acme", "globex", "initech", None]
    assert write["properties"]["competitor"]["enum"] == ["acme", "globex", None]
    assert "note" not in read["properties"]
    assert "note" not in write["properties"]
    assert write["additionalProperties"] is False


def test_deals_refer_to_the_components(signed_in, fields):
    schemas = components(signed_in)

    read = schemas["Deal"]["properties"]["custom_fields"]
    assert read["allOf"] == [{"$ref": "#/components/schemas/CustomFields"}]
    assert read["readOnly"] is True
    for body in ("DealCreateRequest", "PatchedDealUpdateRequest"):
        written = schemas[body]["properties"]["custom_fields"]
        assert written["allOf"] == [{"$ref": "#/components/schemas/CustomFieldsRequest"}]


def test_anonymous_readers_do_not_learn_the_fields(api, fields):
    schemas = components(api())

    assert "properties" not in schemas["CustomFields"]
    assert "properties" not in schemas["CustomFieldsRequest"]
    assert "Sales" not in str(schemas)
    assert "acme" not in str(schemas)


def test_the_typed_schema_is_valid_openapi(fields, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")

    schema = yaml.safe_load((tmp_path / "api.yaml").read_text())
    assert set(schema["components"]["schemas"]["CustomFields"]["properties"]) == {
        field.key for field in fields
    }


@pytest.fixture
def wsgi_keeps_test_connection():
    """As in tests/api/test_schemathesis.py: the real WSGI handler must not close the
    connection that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_answers_with_every_type_conform_to_the_schema(company, fields, wsgi_keeps_test_connection):
    _, key = api_token_create(user=company.rep1, name="conformance")
    headers = {"Authorization": f"Token {key}"}
    values = {
        "note": "Cheaper",
        "background": "Long story",
        "term_months": -2.5,
        "budget": "12500.5",
        "tender_deadline": "2027-03-31",
        "competitor": "globex",
        "products": ["erp", "crm"],
        "budget_confirmed": True,
        "technical_contact": company.rep2.pk,
        "tender_page": "https://example.com/tender",
    }
    full = make_deal(company.rep1, company.sales, custom_fields={"budget": 10})
    empty = make_deal(company.rep1, company.sales)
    client = Client(application)
    schema = schemathesis.openapi.from_dict(
        yaml.safe_load(client.get("/api/schema/", headers=headers).get_data())
    )
    edit = schema["/api/v1/deals/{id}/"]["PATCH"]
    read = schema["/api/v1/deals/{id}/"]["GET"]

    edited = client.patch(
        f"/api/v1/deals/{full.pk}/",
        json={"version": full.version, "custom_fields": values},
        headers=headers,
    )
    assert edited.status_code == 200, edited.get_data()
    edit.validate_response(edited)
    for deal in (full, empty):
        answer = client.get(f"/api/v1/deals/{deal.pk}/", headers=headers)
        read.validate_response(answer)
    edit.validate_response(
        client.patch(
            f"/api/v1/deals/{full.pk}/",
            json={"version": 99, "custom_fields": {"budget": "x"}},
            headers=headers,
        )
    )
