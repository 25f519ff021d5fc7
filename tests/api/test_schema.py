"""The OpenAPI schema and the interactive docs (docs/domain/api.md, docs/architecture.md)."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests.helpers import assert_no_inline_script


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_and_generates_without_warnings(db, tmp_path):
    # The command types the deals' custom fields as defined (deals/api/custom_fields_schema.py).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")

    assert (tmp_path / "api.yaml").read_text().startswith("openapi: 3.0")


def test_request_bodies_are_json_only(schema):
    bodies = [
        (path, method, list(operation["requestBody"]["content"]))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]

    assert len(bodies) > 20
    assert all(types == ["application/json"] for _, _, types in bodies), bodies


def test_request_bodies_refuse_unknown_fields(schema):
    move = schema["components"]["schemas"]["MoveRequest"]

    assert move["additionalProperties"] is False
    assert set(move["required"]) == {"stage", "version"}


def test_refusals_are_documented_with_their_shapes(schema):
    move = schema["paths"]["/api/v1/deals/{id}/move/"]["post"]["responses"]
    lost = schema["paths"]["/api/v1/deals/{id}/lost/"]["post"]["responses"]
    refused = schema["components"]["schemas"]["MoveRefused"]["oneOf"]

    assert {"200", "400", "401", "403", "404", "409"} <= set(move)
    assert {r["$ref"].rsplit("/", 1)[1] for r in refused} == {
        "ChecklistIncomplete",
        "VersionConflict",
    }
    assert lost["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/VersionConflict")
    missing = schema["components"]["schemas"]["MissingItem"]["properties"]
    assert set(missing) == {
        "id",
        "text",
        "stage",
        "kind",
        "satisfied_by",
        "field_name",
        "activity_kind",
        "custom_field",
        "condition",
        "operand",
    }
    assert missing["custom_field"]["nullable"] is True


def test_the_deal_is_documented_as_the_product_describes_it(schema):
    deal = schema["components"]["schemas"]["Deal"]["properties"]

    assert list(deal) == [
        "id",
        "title",
        "value",
        "currency",
        "pipeline",
        "stage",
        "owner",
        "organization",
        "person",
        "expected_close_date",
        "status",
        "lost_reason",
        "probability",
        "weighted_value",
        "position",
        "version",
        "is_stalled",
        "stalled_since",
        "stage_entered_at",
        "last_activity_at",
        "checklist",
        "custom_fields",
        "created_at",
        "updated_at",
    ]
    assert deal["value"]["type"] == "string"
    assert deal["value"]["format"] == "decimal"


def test_token_auth_is_declared(schema):
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]

    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")


def test_the_docs_page_runs_only_script_files_from_this_server(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert_no_inline_script(response)
    html = response.content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', html), "no CDN: every asset is ours"
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert sources[:2] == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
    ]
    for source in sources[:2]:
        assert finders.find(source.removeprefix("/static/")), source


def test_the_docs_start_up_script_is_a_file_of_its_own(client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.findall(r'<script src="([^"]+)"', page)[-1]

    script = client.get(script_url)

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"/api/schema/"' in script.content.decode()
