"""Admin pages: pipelines — list, create, edit, archive/restore,
duplicate, delete (docs/domain/admin-pages.md)."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from deals.models import Deal
from deals.services.moves import deal_move
from pipelines.models import ChecklistItem, Pipeline, Stage
from tests.factories import make_deal, make_item, make_pipeline

pytestmark = pytest.mark.django_db

LIST = reverse("crm_admin:pipelines")


def _designer(pipeline: Pipeline) -> str:
    return reverse("crm_admin:pipeline", args=[pipeline.pk])


def _audit(target, action: str) -> AuditEntry:
    return AuditEntry.objects.get(
        object_type=target._meta.label_lower, object_id=str(target.pk), action=action
    )


def test_list_shows_active_and_archived_pipelines_with_their_counts(admin_client, company):
    make_deal(company.rep1, company.sales)
    company.private.is_active = False
    company.private.save()

    page = admin_client.get(LIST).content.decode()

    active, archived = page.split('id="archived-title"')
    assert "Sales" in active
    assert "Renewals" not in active
    assert "Renewals" in archived
    assert '<td class="num">6</td>' in active  # six stages
    assert '<td class="num">1</td>' in active  # one open deal


def test_create_pipeline_opens_its_designer_and_is_audited(admin_client, company):
    response = admin_client.post(
        LIST,
        {
            "name": " Partners ",
            "description": "Channel deals",
            "visibility": "owner",
            "forward_jumps": "strict",
        },
    )

    pipeline = Pipeline.objects.get(name="Partners")
    assert response.status_code == 302
    assert response.url == _designer(pipeline)
    assert (pipeline.description, pipeline.visibility, pipeline.is_active) == (
        "Channel deals",
        "owner",
        True,
    )
    entry = _audit(pipeline, "created")
    assert entry.actor == company.admin
    assert entry.changes == {"name": "Partners", "visibility": "owner", "forward_jumps": "strict"}


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "This field is required."), ("sales", "There is already a pipeline with that name.")],
)
def test_create_pipeline_refuses_an_empty_or_taken_name(admin_client, company, name, message):
    response = admin_client.post(
        LIST, {"name": name, "visibility": "team", "forward_jumps": "strict"}
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Pipeline.objects.count() == 2


def test_edit_pipeline_records_old_and_new_values(admin_client, company):
    response = admin_client.post(
        reverse("crm_admin:pipeline-edit", args=[company.sales.pk]),
        {
            "name": "New business",
            "description": "Inbound and outbound",
            "visibility": "owner",
            "forward_jumps": "allowed",
        },
    )

    assert response.status_code == 302
    company.sales.refresh_from_db()
    assert company.sales.name == "New business"
    assert company.sales.visibility == "owner"
    assert _audit(company.sales, "edited").changes == {
        "name": ["Sales", "New business"],
        "description": ["", "Inbound and outbound"],
        "visibility": ["team", "owner"],
    }


def test_edit_pipeline_with_an_empty_name_changes_nothing(admin_client, company):
    response = admin_client.post(
        reverse("crm_admin:pipeline-edit", args=[company.sales.pk]),
        {"name": "", "visibility": "team"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    company.sales.refresh_from_db()
    assert company.sales.name == "Sales"


def test_archived_pipeline_leaves_the_board_and_comes_back_when_restored(
    admin_client, client, company
):
    deal = make_deal(company.rep1, company.sales)
    admin_client.post(reverse("crm_admin:pipeline-archive", args=[company.sales.pk]))

    company.sales.refresh_from_db()
    assert not company.sales.is_active
    assert admin_client.get(reverse("board-pipeline", args=[company.sales.pk])).status_code == 404
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN  # deals are kept
    assert _audit(company.sales, "archived").changes == {"is_active": [True, False]}

    admin_client.post(reverse("crm_admin:pipeline-restore", args=[company.sales.pk]))

    assert admin_client.get(reverse("board-pipeline", args=[company.sales.pk])).status_code == 200
    assert _audit(company.sales, "restored")


def test_archiving_an_archived_pipeline_says_so(admin_client, company):
    admin_client.post(reverse("crm_admin:pipeline-archive", args=[company.sales.pk]))

    response = admin_client.post(
        reverse("crm_admin:pipeline-archive", args=[company.sales.pk]), follow=True
    )

    assert "Sales is already archived." in response.content.decode()


def test_duplicate_copies_active_stages_and_checklists_but_no_deals(admin_client, company):
    first, second = company.stages[0], company.stages[1]
    make_item(first, text="Qualified lead", satisfied_by="field", field_name="value")
    make_item(second, ChecklistItem.Kind.ENTRY, text="Budget known", is_required=False)
    make_item(second, text="Old step", is_archived=True)
    Stage.objects.filter(pk=company.stages[5].pk).update(is_archived=True)
    make_deal(company.rep1, company.sales)

    response = admin_client.post(reverse("crm_admin:pipeline-duplicate", args=[company.sales.pk]))

    copy = Pipeline.objects.get(name="Sales (copy)")
    assert response.url == _designer(copy)
    stages = list(copy.stages.order_by("position"))
    assert [(s.name, s.position, s.probability) for s in stages] == [
        (s.name, i, s.probability) for i, s in enumerate(company.stages[:5])
    ]
    items = ChecklistItem.objects.filter(stage__pipeline=copy).order_by("stage__position")
    assert [(i.stage.name, i.kind, i.text, i.is_required, i.field_name) for i in items] == [
        ("Prospecting", "exit", "Qualified lead", True, "value"),
        ("Qualification", "entry", "Budget known", False, ""),
    ]
    assert not copy.deals.exists()
    assert _audit(copy, "created as a copy").changes == {
        "copied_from": "Sales",
        "stages": 5,
        "items": 2,
    }

    admin_client.post(reverse("crm_admin:pipeline-duplicate", args=[company.sales.pk]))
    assert Pipeline.objects.filter(name="Sales (copy 2)").exists()


def test_pipeline_with_deals_cannot_be_deleted(admin_client, company):
    make_deal(company.rep1, company.sales)

    response = admin_client.post(
        reverse("crm_admin:pipeline-delete", args=[company.sales.pk]), follow=True
    )

    assert "Sales holds 1 deal and cannot be deleted. Archive it instead" in (
        response.content.decode()
    )
    assert Pipeline.objects.filter(pk=company.sales.pk).exists()
    assert not AuditEntry.objects.filter(action="deleted").exists()


def test_pipeline_that_history_refers_to_cannot_be_deleted(admin_client, company):
    """Its deal moved to another pipeline, but the stage change still names its stage."""
    origin = make_pipeline("Inbound", stages=[("New", 10)])
    deal = make_deal(company.rep1, origin)
    deal_move(
        user=company.rep1,
        deal=deal,
        stage=company.stages[0],
        pipeline=company.sales,
        version=deal.version,
    )

    response = admin_client.post(
        reverse("crm_admin:pipeline-delete", args=[origin.pk]), follow=True
    )

    assert "still refer to the stages of Inbound" in response.content.decode()
    assert Pipeline.objects.filter(pk=origin.pk).exists()


def test_pipeline_without_deals_is_deleted_and_the_deletion_audited(admin_client, company):
    empty = make_pipeline("Trial")
    make_item(empty.stages.first())

    response = admin_client.post(reverse("crm_admin:pipeline-delete", args=[empty.pk]))

    assert response.url == LIST
    assert not Pipeline.objects.filter(pk=empty.pk).exists()
    entry = AuditEntry.objects.get(object_type="pipelines.pipeline", action="deleted")
    assert (entry.object_id, entry.object_repr, entry.actor) == (
        str(empty.pk),
        "Trial",
        company.admin,
    )
