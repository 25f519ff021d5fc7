"""The custom field definitions in the API (/api/v1/custom-fields/): everyone signed in
reads the active ones, admins create, change, archive, delete and order them and their
options (docs/domain/custom-fields.md, docs/domain/api.md)."""

from decimal import Decimal

import pytest
import yaml

from accounts.models import AuditEntry
from pipelines.models import CustomField
from pipelines.selectors import custom_fields_for
from tests.factories import make_custom_field, make_deal

pytestmark = pytest.mark.django_db

Type = CustomField.Type
URL = "/api/v1/custom-fields/"


@pytest.fixture
def defined(company):
    return {
        "budget": make_custom_field("Budget", Type.MONEY),
        "competitor": make_custom_field(
            "Competitor", Type.SINGLE_CHOICE, pipeline=company.sales, options=("Acme", "Globex")
        ),
        "renewal": make_custom_field("Renewal date", Type.DATE, pipeline=company.private),
        "old": make_custom_field("Old note", Type.TEXT, is_archived=True),
    }


def _keys(response) -> list[str]:
    return [field["key"] for field in response.json()["results"]]


def test_everyone_reads_the_active_definitions_with_their_options(
    api, company, defined, django_assert_max_num_queries
):
    defined["competitor"].options.filter(key="acme").update(is_archived=True)
    client = api(company.rep1)

    # the token and its last use, the page's count, the fields with their pipelines, their
    # options: the same however many fields and options there are
    with django_assert_max_num_queries(5):
        response = client.get(URL)

    assert response.status_code == 200
    assert _keys(response) == ["budget", "competitor", "renewal_date"]
    competitor = response.json()["results"][1]
    assert competitor == {
        "id": defined["competitor"].pk,
        "key": "competitor",
        "name": "Competitor",
        "help_text": "",
        "type": "single_choice",
        "pipeline": company.sales.pk,
        "show_on_card": False,
        "position": 1,
        "is_archived": False,
        "options": [
            {"key": "acme", "label": "Acme", "position": 0, "is_archived": True},
            {"key": "globex", "label": "Globex", "position": 1, "is_archived": False},
        ],
        "created_at": competitor["created_at"],
    }
    assert _keys(client.get(URL, {"pipeline": company.sales.pk})) == ["budget", "competitor"]
    assert _keys(client.get(URL, {"archived": "1"})) == ["budget", "competitor", "renewal_date"]
    assert client.get(f"{URL}{defined['old'].pk}/").status_code == 404


def test_admins_also_read_archived_definitions_when_they_ask(api, company, defined):
    client = api(company.admin)

    assert "old_note" not in _keys(client.get(URL))
    assert "old_note" in _keys(client.get(URL, {"archived": "1"}))
    assert client.get(f"{URL}{defined['old'].pk}/").json()["is_archived"] is True


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_only_admins_change_definitions(api, company, defined, persona):
    client = api(getattr(company, persona))
    field = defined["competitor"]

    assert client.post(URL, {"name": "X", "type": "text"}).status_code == 403
    assert client.patch(f"{URL}{field.pk}/", {"name": "X"}).status_code == 403
    assert client.delete(f"{URL}{field.pk}/").status_code == 403
    assert client.post(f"{URL}{field.pk}/options/", {"label": "X"}).status_code == 403
    assert client.patch(f"{URL}{field.pk}/options/acme/", {"label": "X"}).status_code == 403
    assert api().get(URL).status_code == 401
    assert CustomField.objects.get(pk=field.pk).name == "Competitor"


def test_admin_creates_renames_archives_restores_and_deletes_a_field(api, company):
    client = api(company.admin)

    created = client.post(
        URL,
        {
            "name": "Products",
            "type": "multiple_choice",
            "pipeline": company.sales.pk,
            "options": ["CRM", "ERP"],
            "show_on_card": True,
        },
        format="json",
    )
    field_id = created.json()["id"]
    renamed = client.patch(f"{URL}{field_id}/", {"name": "Products sold", "help_text": "All"})
    archived = client.patch(f"{URL}{field_id}/", {"is_archived": True})
    hidden = [f.key for f in custom_fields_for(company.sales.pk)]
    restored = client.patch(f"{URL}{field_id}/", {"is_archived": False})
    deleted = client.delete(f"{URL}{field_id}/")

    assert created.status_code == 201, created.json()
    assert created.json()["key"] == "products"
    assert [o["label"] for o in created.json()["options"]] == ["CRM", "ERP"]
    assert (renamed.json()["name"], renamed.json()["key"]) == ("Products sold", "products")
    assert archived.json()["is_archived"] is True
    assert "products" not in hidden
    assert restored.json()["is_archived"] is False
    assert deleted.status_code == 204
    assert not CustomField.objects.filter(pk=field_id).exists()
    actions = AuditEntry.objects.filter(object_type="pipelines.customfield", object_id=field_id)
    assert sorted(actions.values_list("action", flat=True)) == [
        "archived",
        "created",
        "deleted",
        "edited",
        "restored",
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "Size", "type": "single_choice"}, "options", "at least one option"),
        ({"name": "Size", "type": "text", "options": ["S"]}, "options", "Only choice fields"),
        ({"name": "Size", "type": "shoe"}, "type", ""),
        ({"name": "budget", "type": "text"}, "name", "There is already a field “Budget”"),
        ({"name": "Size", "type": "text", "key": "size"}, "key", "not accepted"),
        ({"name": " ", "type": "text"}, "name", ""),
    ],
)
def test_bad_definitions_are_refused_with_field_errors(api, company, defined, body, field, message):
    response = api(company.admin).post(URL, body, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors
    assert message in " ".join(errors[field])


def test_the_type_cannot_change(api, company, defined):
    response = api(company.admin).patch(
        f"{URL}{defined['budget'].pk}/", {"type": "text"}, format="json"
    )

    assert response.status_code == 400
    assert "The type of a field cannot change" in response.json()["errors"]["type"][0]


def test_delete_is_refused_while_a_deal_holds_a_value(api, company, defined):
    make_deal(company.rep1, company.sales, custom_fields={"budget": Decimal(10)})

    response = api(company.admin).delete(f"{URL}{defined['budget'].pk}/")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "1 deal holds a value of “Budget”" in response.json()["message"]


def test_fields_and_options_are_reordered_by_position(api, company, defined):
    client = api(company.admin)
    competitor = defined["competitor"]

    moved = client.patch(f"{URL}{competitor.pk}/", {"position": 0}, format="json")
    mixed = client.patch(f"{URL}{competitor.pk}/", {"position": 1, "name": "X"}, format="json")
    option = client.patch(f"{URL}{competitor.pk}/options/globex/", {"position": 0})

    assert moved.status_code == 200
    assert [f.key for f in custom_fields_for(None)] == ["competitor", "budget", "renewal_date"]
    assert mixed.status_code == 400
    assert "position" in mixed.json()["errors"]
    assert [o["key"] for o in option.json()["options"]] == ["globex", "acme"]


def test_options_are_added_renamed_and_archived(api, company, defined):
    client = api(company.admin)
    competitor = defined["competitor"]

    added = client.post(f"{URL}{competitor.pk}/options/", {"label": "Initech"}, format="json")
    renamed = client.patch(f"{URL}{competitor.pk}/options/acme/", {"label": "Acme Corp"})
    archived = client.patch(f"{URL}{competitor.pk}/options/acme/", {"is_archived": True})
    taken = client.post(f"{URL}{competitor.pk}/options/", {"label": "initech"}, format="json")
    missing = client.patch(f"{URL}{competitor.pk}/options/nope/", {"label": "X"})
    text_field = client.post(f"{URL}{defined['budget'].pk}/options/", {"label": "X"})

    assert added.status_code == 201
    assert added.json()["options"][-1] == {
        "key": "initech",
        "label": "Initech",
        "position": 2,
        "is_archived": False,
    }
    assert renamed.json()["options"][0]["label"] == "Acme Corp"
    acme = next(o for o in archived.json()["options"] if o["key"] == "acme")
    assert acme["is_archived"] is True
    assert taken.status_code == 400
    assert "already an option" in taken.json()["errors"]["label"][0]
    assert missing.status_code == 404
    assert text_field.status_code == 400
    assert AuditEntry.objects.filter(object_type="pipelines.customfieldoption").count() == 3


def test_the_schema_documents_the_definitions_and_their_options(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    field = schema["components"]["schemas"]["CustomField"]["properties"]

    assert set(paths["/api/v1/custom-fields/"]) == {"get", "post"}
    assert set(paths["/api/v1/custom-fields/{id}/"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/custom-fields/{id}/options/"]) == {"post"}
    assert set(paths["/api/v1/custom-fields/{id}/options/{option_key}/"]) == {"patch"}
    assert {"400", "403", "404"} <= set(paths["/api/v1/custom-fields/{id}/"]["delete"]["responses"])
    list_params = {p["name"] for p in paths["/api/v1/custom-fields/"]["get"]["parameters"]}
    assert {"pipeline", "archived", "type"} <= list_params
    assert list(field) == [
        "id",
        "key",
        "name",
        "help_text",
        "type",
        "pipeline",
        "show_on_card",
        "position",
        "is_archived",
        "options",
        "created_at",
    ]
    item = schema["components"]["schemas"]["ChecklistItem"]["properties"]
    assert {"custom_field", "condition", "condition_value"} <= set(item)
