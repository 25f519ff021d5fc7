"""The pipeline's forward-jumps setting (docs/hardening/forward-jumps.md): new pipelines are
strict, existing ones kept "allowed" through the migration; the designer, the API, the
audit log and "duplicate" all carry it."""

import pytest
import yaml
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import AuditEntry
from pipelines.models import Pipeline
from pipelines.services import pipeline_create, pipeline_duplicate
from tests.factories import make_pipeline

STRICT, ALLOWED = Pipeline.ForwardJumps.STRICT, Pipeline.ForwardJumps.ALLOWED
LIST = reverse("crm_admin:pipelines")


def _audit(target, action: str) -> AuditEntry:
    return AuditEntry.objects.get(
        object_type=target._meta.label_lower, object_id=str(target.pk), action=action
    )


# --- defaults --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_pipeline_is_strict_unless_told_otherwise(company):
    created = pipeline_create(actor=company.admin, name="Partners")

    assert created.forward_jumps == STRICT
    assert Pipeline(name="Unsaved").forward_jumps == STRICT
    assert _audit(created, "created").changes["forward_jumps"] == STRICT


@pytest.mark.django_db
def test_the_new_pipeline_form_offers_the_setting_with_strict_preselected(admin_client, company):
    page = admin_client.get(LIST).content.decode()

    assert 'name="forward_jumps"' in page
    assert '<option value="strict" selected>' in page


@pytest.mark.django_db
def test_the_new_pipeline_form_creates_an_allowed_pipeline_when_chosen(admin_client, company):
    response = admin_client.post(
        LIST, {"name": "Partners", "visibility": "team", "forward_jumps": "allowed"}
    )

    assert response.status_code == 302
    assert Pipeline.objects.get(name="Partners").forward_jumps == ALLOWED


# --- the designer ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_designer_changes_the_setting_and_the_audit_log_records_it(admin_client, company):
    sales = company.sales  # made "allowed" by the factory, like a pipeline before the setting
    designer = reverse("crm_admin:pipeline", args=[sales.pk])
    assert '<option value="allowed" selected>' in admin_client.get(designer).content.decode()

    response = admin_client.post(
        reverse("crm_admin:pipeline-edit", args=[sales.pk]),
        {"name": "Sales", "description": "", "visibility": "team", "forward_jumps": "strict"},
    )

    assert response.status_code == 302
    sales.refresh_from_db()
    assert sales.forward_jumps == STRICT
    assert _audit(sales, "edited").changes == {"forward_jumps": ["allowed", "strict"]}
    page = admin_client.get(designer).content.decode()
    assert '<option value="strict" selected>' in page
    assert "allowed → strict" in page[page.index('id="history"') :]


@pytest.mark.django_db
def test_the_designer_refuses_an_unknown_setting_with_a_form_error(admin_client, company):
    response = admin_client.post(
        reverse("crm_admin:pipeline-edit", args=[company.sales.pk]),
        {"name": "Sales", "visibility": "team", "forward_jumps": "sometimes"},
    )

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    company.sales.refresh_from_db()
    assert company.sales.forward_jumps == ALLOWED
    assert not AuditEntry.objects.filter(action="edited").exists()


@pytest.mark.django_db
def test_duplicate_copies_the_setting(company):
    strict = make_pipeline("Strict one", forward_jumps=STRICT)

    assert pipeline_duplicate(actor=company.admin, pipeline=strict).forward_jumps == STRICT
    assert pipeline_duplicate(actor=company.admin, pipeline=company.sales).forward_jumps == ALLOWED


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_shows_the_setting_of_each_pipeline(company, api):
    strict = make_pipeline("Strict one", forward_jumps=STRICT)

    response = api(company.rep1).get("/api/v1/pipelines/")

    assert response.status_code == 200
    shown = {row["id"]: row["forward_jumps"] for row in response.json()["results"]}
    assert shown[strict.pk] == STRICT
    assert shown[company.sales.pk] == ALLOWED


@pytest.mark.django_db
def test_the_api_creates_strict_pipelines_by_default(company, api):
    response = api(company.admin).post("/api/v1/pipelines/", {"name": "Partners"}, format="json")

    assert response.status_code == 201
    assert response.json()["forward_jumps"] == STRICT


@pytest.mark.django_db
def test_the_api_changes_the_setting_and_audits_it(company, api):
    response = api(company.admin).patch(
        f"/api/v1/pipelines/{company.sales.pk}/", {"forward_jumps": "strict"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["forward_jumps"] == STRICT
    assert _audit(company.sales, "edited").changes == {"forward_jumps": ["allowed", "strict"]}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "patch"])
def test_the_api_answers_400_with_a_field_error_for_an_unknown_setting(company, method, api):
    client = api(company.admin)
    if method == "post":
        response = client.post(
            "/api/v1/pipelines/", {"name": "Partners", "forward_jumps": "yes"}, format="json"
        )
    else:
        response = client.patch(
            f"/api/v1/pipelines/{company.sales.pk}/", {"forward_jumps": "yes"}, format="json"
        )

    assert response.status_code == 400
    assert "forward_jumps" in response.json()["errors"]
    assert list(Pipeline.objects.order_by("pk").values_list("forward_jumps", flat=True)) == [
        ALLOWED,
        ALLOWED,
    ]


@pytest.mark.django_db
def test_a_rep_cannot_change_the_setting(company, api):
    response = api(company.rep1).patch(
        f"/api/v1/pipelines/{company.sales.pk}/", {"forward_jumps": "strict"}, format="json"
    )

    assert response.status_code == 403
    company.sales.refresh_from_db()
    assert company.sales.forward_jumps == ALLOWED


@pytest.mark.django_db
def test_the_schema_documents_the_setting_and_its_values(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    components = schema["components"]["schemas"]

    def values(component: str) -> list[str]:
        field = components[component]["properties"]["forward_jumps"]
        ref = field.get("$ref") or field["allOf"][0]["$ref"]
        return components[ref.rsplit("/", 1)[-1]]["enum"]

    assert values("Pipeline") == ["allowed", "strict"]
    assert values("PipelineCreateRequest") == ["allowed", "strict"]
    assert values("PatchedPipelineUpdateRequest") == ["allowed", "strict"]


# --- the migration ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_pipelines_allowed():
    """Pipelines that existed before the setting keep today's rule (skipping is free)."""
    before, after = [("pipelines", "0001_initial")], [("pipelines", "0002_pipeline_forward_jumps")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_pipeline = executor.loader.project_state(before).apps.get_model("pipelines", "Pipeline")
    existing = old_pipeline.objects.create(name="Existing", visibility="team")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    assert Pipeline.objects.get(pk=existing.pk).forward_jumps == ALLOWED
    assert Pipeline.objects.create(name="Created later").forward_jumps == STRICT
    # Back to the latest schema (later migrations, of deals too, were unapplied above), so
    # that the tests after this one find every table.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
