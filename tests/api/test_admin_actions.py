"""What an admin does in the app is on the API too, through the same services
(docs/deal-actions.md): reorder stages and checklist items, remove a stage with its open
deals moved elsewhere, deactivate a user with a handover of their open work."""

import pytest
from django.utils import timezone

from accounts.models import AuditEntry, User
from deals.models import Activity, Deal, StageChange
from pipelines.models import ChecklistItem, Stage
from tests.factories import make_deal, make_item, reload


def _stage_order(pipeline) -> list[str]:
    stages = Stage.objects.filter(pipeline=pipeline, is_archived=False).order_by("position")
    return list(stages.values_list("name", flat=True))


def _audit(action: str, target) -> AuditEntry:
    return AuditEntry.objects.get(
        action=action, object_type=target._meta.label_lower, object_id=str(target.pk)
    )


# -- reorder stages and checklist items ---------------------------------------------------


def test_an_admin_reorders_a_stage_by_position(api, company):
    before = _stage_order(company.sales)
    proposal = company.stages[3]

    response = api(company.admin).patch(f"/api/v1/stages/{proposal.pk}/", {"position": 0})

    assert response.status_code == 200
    assert response.json()["position"] == 0
    assert _stage_order(company.sales) == ["Proposal", *[n for n in before if n != "Proposal"]]
    entry = _audit("stages reordered", company.sales)
    assert entry.actor == company.admin
    assert entry.changes["order"][1][0] == "Proposal"


@pytest.mark.parametrize(("persona", "status"), [("manager", 403), ("rep1", 403)])
def test_managers_and_reps_cannot_reorder_stages(api, company, persona, status):
    before = _stage_order(company.sales)

    response = api(getattr(company, persona)).patch(
        f"/api/v1/stages/{company.stages[3].pk}/", {"position": 0}
    )

    assert response.status_code == status
    assert _stage_order(company.sales) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [({"position": 99}, "position"), ({"position": 0, "name": "Pitch"}, "position")],
)
def test_a_bad_stage_position_is_a_400_field_error(api, company, body, field):
    before = _stage_order(company.sales)

    response = api(company.admin).patch(f"/api/v1/stages/{company.stages[3].pk}/", body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert _stage_order(company.sales) == before


def test_an_admin_reorders_a_checklist_item_and_reps_cannot(api, company):
    *_, third = (make_item(company.stages[0], text=t) for t in ("A", "B", "C"))

    refused = api(company.rep1).patch(f"/api/v1/checklist-items/{third.pk}/", {"position": 0})
    done = api(company.admin).patch(f"/api/v1/checklist-items/{third.pk}/", {"position": 0})
    past_the_end = api(company.admin).patch(f"/api/v1/checklist-items/{third.pk}/", {"position": 3})

    assert refused.status_code == 403
    assert done.status_code == 200
    items = ChecklistItem.objects.filter(stage=company.stages[0]).order_by("position")
    assert [item.text for item in items] == ["C", "A", "B"]
    assert _audit("moved", third).changes == {"position": [3, 1]}
    assert past_the_end.status_code == 400
    assert "position" in past_the_end.json()["errors"]


# -- remove a stage -----------------------------------------------------------------------


def test_an_admin_removes_a_stage_and_its_open_deals_move(api, company):
    qualification, meeting = company.stages[1], company.stages[2]
    deals = [make_deal(company.rep1, company.sales, qualification) for _ in range(2)]

    response = api(company.admin).post(
        f"/api/v1/stages/{qualification.pk}/remove/", {"target": meeting.pk}
    )

    assert response.status_code == 200
    assert response.json() == {
        "stage_name": "Qualification",
        "archived": True,
        "deals_moved": 2,
        "target": meeting.pk,
    }
    assert {reload(deal).stage_id for deal in deals} == {meeting.pk}
    # Through deal_move, as the admin: each deal's history records the move.
    assert (
        StageChange.objects.filter(deal__in=deals, to_stage=meeting, user=company.admin).count()
        == 2
    )
    assert Stage.objects.get(pk=qualification.pk).is_archived
    assert _audit("archived", qualification).changes["deals_moved"] == 2


def test_removing_a_stage_that_holds_deals_needs_a_target(api, company):
    qualification = company.stages[1]
    deal = make_deal(company.rep1, company.sales, qualification)

    response = api(company.admin).post(f"/api/v1/stages/{qualification.pk}/remove/", {})
    elsewhere = api(company.admin).post(
        f"/api/v1/stages/{qualification.pk}/remove/",
        {"target": company.private.stages.first().pk},
    )

    assert response.status_code == elsewhere.status_code == 400
    assert "target" in response.json()["errors"]
    assert "target" in elsewhere.json()["errors"]
    assert reload(deal).stage_id == qualification.pk
    assert not Stage.objects.get(pk=qualification.pk).is_archived


def test_managers_and_reps_cannot_remove_stages(api, company):
    qualification = company.stages[1]
    archived = Stage.objects.create(
        pipeline=company.sales, name="Old", position=99, probability=5, is_archived=True
    )

    visible = api(company.manager).post(f"/api/v1/stages/{qualification.pk}/remove/", {})
    invisible = api(company.rep1).post(f"/api/v1/stages/{archived.pk}/remove/", {})

    assert visible.status_code == 403
    assert invisible.status_code == 404
    assert Stage.objects.filter(pk=qualification.pk, is_archived=False).exists()


# -- deactivate a user --------------------------------------------------------------------


def _open_activity(deal: Deal, owner: User) -> Activity:
    return Activity.objects.create(
        deal=deal, owner=owner, kind="call", subject="Call back", due_at=timezone.now()
    )


def test_an_admin_deactivates_a_user_handing_over_deals_and_activities(api, company):
    deal = make_deal(company.rep1, company.sales)
    activity = _open_activity(deal, company.rep1)

    response = api(company.admin).post(
        f"/api/v1/users/{company.rep1.pk}/deactivate/",
        {"deals_to": company.rep2.pk, "activities_to": company.manager.pk},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["user"]["is_active"], body["deals"], body["activities"]) == (False, 1, 1)
    assert reload(deal).owner == company.rep2
    assert Activity.objects.get(pk=activity.pk).owner == company.manager
    entry = _audit("work handed over", company.rep1)
    assert (entry.changes["deals_to"], entry.changes["activities_to"]) == ("rep2", "manager")


def test_deactivating_a_user_with_open_work_needs_successors(api, company):
    deal = make_deal(company.rep1, company.sales)
    _open_activity(deal, company.rep1)

    response = api(company.admin).post(f"/api/v1/users/{company.rep1.pk}/deactivate/", {})

    assert response.status_code == 400
    assert "deals_to" in response.json()["errors"]
    assert User.objects.get(pk=company.rep1.pk).is_active
    assert reload(deal).owner == company.rep1


def test_managers_and_reps_cannot_deactivate_users(api, company):
    gone = User.objects.create(username="gone", role="rep", is_active=False)

    visible = api(company.manager).post(
        f"/api/v1/users/{company.rep1.pk}/deactivate/", {"deals_to": company.rep2.pk}
    )
    invisible = api(company.rep2).post(f"/api/v1/users/{gone.pk}/deactivate/", {})

    assert visible.status_code == 403
    assert invisible.status_code == 404
    assert User.objects.get(pk=company.rep1.pk).is_active


def test_the_schema_documents_the_admin_actions(rep1):
    schema = rep1.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    remove = schema["paths"]["/api/v1/stages/{id}/remove/"]["post"]
    deactivate = schema["paths"]["/api/v1/users/{id}/deactivate/"]["post"]
    stage_patch = schema["paths"]["/api/v1/stages/{id}/"]["patch"]
    for operation in (remove, deactivate, stage_patch):
        assert {"200", "400", "403", "404"} <= set(operation["responses"])
    assert "position" in schema["components"]["schemas"]["PatchedStageUpdateRequest"]["properties"]
