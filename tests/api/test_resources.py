"""The other resources: who reads and who writes them, through the pages' services."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import AuditEntry, Role, Team, User
from deals.models import Activity, LostReason, Organization, Person
from forecasting.models import Quota
from pipelines.models import ChecklistItem, Pipeline, Stage
from tests import factories

# -- pipelines, stages, checklist items --------------------------------------------------


def test_reps_read_active_pipelines_admins_also_archived_ones(api, company):
    company.private.is_active = False
    company.private.save()

    rep_sees = {p["name"] for p in api(company.rep1).get("/api/v1/pipelines/").json()["results"]}
    admin_sees = {p["name"] for p in api(company.admin).get("/api/v1/pipelines/").json()["results"]}

    assert rep_sees == {"Sales"}
    assert admin_sees == {"Sales", "Renewals"}
    assert api(company.rep1).get(f"/api/v1/pipelines/{company.private.pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_only_admins_change_pipelines(api, company, persona):
    client = api(getattr(company, persona))

    assert client.post("/api/v1/pipelines/", {"name": "Upsell"}).status_code == 403
    assert client.patch(f"/api/v1/pipelines/{company.sales.pk}/", {"name": "X"}).status_code == 403
    assert client.post("/api/v1/stages/", {}).status_code == 403
    assert client.post("/api/v1/checklist-items/", {}).status_code == 403
    assert not Pipeline.objects.filter(name__in=["Upsell", "X"]).exists()


def test_an_admin_creates_renames_and_archives_a_pipeline(api, company):
    client = api(company.admin)

    created = client.post("/api/v1/pipelines/", {"name": "Upsell", "visibility": "owner"})
    pipeline_id = created.json()["id"]
    renamed = client.patch(f"/api/v1/pipelines/{pipeline_id}/", {"name": "Upsell 2026"})
    archived = client.patch(f"/api/v1/pipelines/{pipeline_id}/", {"is_active": False})

    assert created.status_code == 201
    assert created.json()["visibility"] == "owner"
    assert renamed.json()["name"] == "Upsell 2026"
    assert archived.json()["is_active"] is False
    actions = AuditEntry.objects.filter(object_id=str(pipeline_id)).values_list("action", flat=True)
    assert set(actions) == {"created", "edited", "archived"}


def test_a_pipeline_name_is_unique(api, company):
    response = api(company.admin).post("/api/v1/pipelines/", {"name": "sales"})

    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_a_pipeline_with_deals_is_archived_not_deleted(api, company):
    factories.make_deal(company.rep1, company.sales)
    empty = factories.make_pipeline("Empty")
    client = api(company.admin)

    assert client.delete(f"/api/v1/pipelines/{company.sales.pk}/").status_code == 400
    assert client.delete(f"/api/v1/pipelines/{empty.pk}/").status_code == 204
    assert Pipeline.objects.filter(pk=company.sales.pk).exists()


def test_new_stages_go_to_the_end_and_edits_keep_what_is_not_named(api, company):
    client = api(company.admin)

    created = client.post(
        "/api/v1/stages/",
        {"pipeline": company.sales.pk, "name": "Signed", "probability": 100, "guidance": "Yay"},
    )
    edited = client.patch(f"/api/v1/stages/{created.json()['id']}/", {"probability": 95})

    assert created.status_code == 201
    assert created.json()["position"] == 6
    assert edited.status_code == 200
    assert (edited.json()["probability"], edited.json()["guidance"]) == (95, "Yay")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"probability": 101}, "probability"), ({"stall_threshold_days": 0}, "stall_threshold_days")],
)
def test_stage_values_are_checked(api, company, body, field):
    response = api(company.admin).patch(f"/api/v1/stages/{company.stages[0].pk}/", body)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_stage_with_open_deals_cannot_be_archived(api, company):
    factories.make_deal(company.rep1, company.sales, stage=company.stages[1])
    client = api(company.admin)

    refused = client.patch(f"/api/v1/stages/{company.stages[1].pk}/", {"is_archived": True})
    archived = client.patch(f"/api/v1/stages/{company.stages[2].pk}/", {"is_archived": True})

    assert refused.status_code == 400
    assert archived.status_code == 200
    assert archived.json()["is_archived"] is True
    rep_sees = api(company.rep1).get("/api/v1/stages/", {"pipeline": company.sales.pk}).json()
    assert company.stages[2].pk not in {stage["id"] for stage in rep_sees["results"]}


def test_checklist_items_are_created_edited_and_removed(api, company):
    client = api(company.admin)
    stage = company.stages[0]

    created = client.post(
        "/api/v1/checklist-items/",
        {
            "stage": stage.pk,
            "kind": "exit",
            "text": "Meeting held",
            "satisfied_by": "activity",
            "activity_kind": "meeting",
        },
    )
    item_id = created.json()["id"]
    edited = client.patch(f"/api/v1/checklist-items/{item_id}/", {"is_required": False})
    removed = client.delete(f"/api/v1/checklist-items/{item_id}/")

    assert created.status_code == 201
    assert (created.json()["position"], created.json()["is_required"]) == (0, True)
    assert edited.json()["is_required"] is False
    assert edited.json()["activity_kind"] == "meeting"
    assert removed.status_code == 204
    assert not ChecklistItem.objects.filter(pk=item_id).exists()


def test_a_field_item_must_name_its_field(api, company):
    response = api(company.admin).post(
        "/api/v1/checklist-items/",
        {"stage": company.stages[0].pk, "kind": "exit", "text": "X", "satisfied_by": "field"},
    )

    assert response.status_code == 400
    assert "field_name" in response.json()["errors"]


# -- organizations and people -------------------------------------------------------------


def test_everyone_creates_and_edits_organizations_and_people(api, company):
    client = api(company.rep3)

    org = client.post("/api/v1/organizations/", {"name": "Acme", "domain": "acme.test"})
    person = client.post(
        "/api/v1/people/",
        {"name": "Ada", "email": "ada@acme.test", "organization": org.json()["id"]},
    )
    edited = api(company.rep1).patch(f"/api/v1/people/{person.json()['id']}/", {"phone": "123"})

    assert (org.status_code, person.status_code, edited.status_code) == (201, 201, 200)
    assert edited.json()["organization"] == org.json()["id"]
    assert api(company.rep1).get("/api/v1/people/", {"q": "ada"}).json()["count"] == 1


def test_an_invalid_email_is_refused(api, company):
    response = api(company.rep1).post("/api/v1/people/", {"name": "Ada", "email": "nope"})

    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_only_admins_delete_and_only_what_nothing_uses(api, company):
    unused = Organization.objects.create(name="Unused")
    used = Organization.objects.create(name="Used")
    factories.make_deal(company.rep1, company.sales, organization=used)
    person = Person.objects.create(name="Bob")

    assert api(company.manager).delete(f"/api/v1/organizations/{unused.pk}/").status_code == 403
    assert api(company.rep1).delete(f"/api/v1/people/{person.pk}/").status_code == 403
    assert api(company.admin).delete(f"/api/v1/organizations/{used.pk}/").status_code == 400
    assert api(company.admin).delete(f"/api/v1/organizations/{unused.pk}/").status_code == 204
    assert api(company.admin).delete(f"/api/v1/people/{person.pk}/").status_code == 204
    assert list(Organization.objects.values_list("name", flat=True)) == ["Used"]


# -- activities ---------------------------------------------------------------------------


def test_scheduling_undoing_and_deleting_activities(api, company):
    deal = factories.make_deal(company.rep1, company.sales)
    client = api(company.rep1)

    scheduled = client.post(
        "/api/v1/activities/",
        {
            "deal": deal.pk,
            "kind": "task",
            "subject": "Send offer",
            "done": False,
            "due_at": "2030-01-01T09:00:00Z",
        },
    ).json()
    done = client.patch(f"/api/v1/activities/{scheduled['id']}/", {"done": True})
    deal.refresh_from_db()
    last_activity = deal.last_activity_at
    deleted = client.delete(f"/api/v1/activities/{scheduled['id']}/")

    assert scheduled["done_at"] is None
    assert done.json()["done_at"] is not None
    assert last_activity is not None
    assert deleted.status_code == 204
    deal.refresh_from_db()
    assert deal.last_activity_at is None
    assert not Activity.objects.filter(deal=deal).exists()


def test_activity_kinds_and_stale_versions_are_refused(api, company):
    deal = factories.make_deal(company.rep1, company.sales)
    client = api(company.rep1)

    wrong_kind = client.post(
        "/api/v1/activities/", {"deal": deal.pk, "kind": "party", "subject": "x"}
    )
    stale = client.post(
        "/api/v1/activities/", {"deal": deal.pk, "kind": "call", "subject": "x", "version": 9}
    )

    assert wrong_kind.status_code == 400
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert not Activity.objects.exists()


# -- users and teams ----------------------------------------------------------------------


def test_everyone_lists_active_users_admins_also_deactivated_ones(api, company):
    company.rep2.is_active = False
    company.rep2.save()

    rep_sees = {u["username"] for u in api(company.rep3).get("/api/v1/users/").json()["results"]}
    admin_sees = {
        u["username"]
        for u in api(company.admin).get("/api/v1/users/", {"page_size": 50}).json()["results"]
    }

    assert "rep2" not in rep_sees
    assert "rep2" in admin_sees
    assert "email" not in api(company.rep3).get(f"/api/v1/users/{company.rep1.pk}/").json()


def test_an_admin_creates_a_user_with_a_one_time_password(api, company):
    response = api(company.admin).post(
        "/api/v1/users/",
        {"username": "rep4", "first_name": "Ann", "role": "rep", "access": "password"},
    )

    assert response.status_code == 201
    user = User.objects.get(username="rep4")
    assert user.check_password(response.json()["one_time_password"])
    assert AuditEntry.objects.filter(object_id=str(user.pk), action="created").exists()


def test_an_invited_user_needs_an_email(api, company):
    response = api(company.admin).post("/api/v1/users/", {"username": "rep4"})

    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_an_admin_changes_names_and_roles_but_not_into_an_impossible_team(api, company):
    client = api(company.admin)

    renamed = client.patch(f"/api/v1/users/{company.rep1.pk}/", {"last_name": "Lovelace"})
    promoted = client.patch(f"/api/v1/users/{company.rep1.pk}/", {"role": "manager"})
    demoted = client.patch(f"/api/v1/users/{company.manager.pk}/", {"role": "rep"})

    assert renamed.json()["last_name"] == "Lovelace"
    assert renamed.json()["first_name"] == "Rep1"
    assert promoted.json()["role"] == "manager"
    assert demoted.status_code == 400
    company.manager.refresh_from_db()
    assert company.manager.role == Role.MANAGER


def test_non_admins_cannot_change_users_or_teams(api, company):
    client = api(company.manager)

    assert client.patch(f"/api/v1/users/{company.rep1.pk}/", {"role": "admin"}).status_code == 403
    assert client.post("/api/v1/teams/", {"name": "West"}).status_code == 403
    assert client.delete(f"/api/v1/teams/{company.north.pk}/").status_code == 403


def test_teams_list_their_managers_and_members(api, company):
    teams = api(company.rep3).get("/api/v1/teams/").json()["results"]

    assert teams == [
        {
            "id": company.north.pk,
            "name": "North",
            "managers": [company.manager.pk],
            "members": sorted([company.rep1.pk, company.rep2.pk]),
        },
        {
            "id": company.south.pk,
            "name": "South",
            "managers": [company.manager2.pk],
            "members": [company.rep3.pk],
        },
    ]


def test_an_admin_builds_changes_and_deletes_a_team(api, company):
    client = api(company.admin)

    refused = client.post(
        "/api/v1/teams/", {"name": "West", "managers": [company.rep1.pk], "members": []}
    )
    created = client.post(
        "/api/v1/teams/",
        {"name": "West", "managers": [company.manager2.pk], "members": [company.rep1.pk]},
    )
    team_id = created.json()["id"]
    changed = client.patch(f"/api/v1/teams/{team_id}/", {"members": [company.rep2.pk]})
    deleted = client.delete(f"/api/v1/teams/{team_id}/")

    assert refused.status_code == 400
    assert "managers" in refused.json()["errors"]
    assert created.status_code == 201
    assert changed.json()["managers"] == [company.manager2.pk]
    assert changed.json()["members"] == [company.rep2.pk]
    assert deleted.status_code == 204
    assert not Team.objects.filter(name="West").exists()


# -- quotas and lost reasons -------------------------------------------------------------


def test_an_admin_sets_changes_and_removes_a_quota(api, company):
    client = api(company.admin)
    body = {"user": company.rep1.pk, "month": "2026-03-01", "amount": "12000.00"}

    created = client.post("/api/v1/quotas/", body)
    again = client.post("/api/v1/quotas/", body)
    changed = client.patch(f"/api/v1/quotas/{created.json()['id']}/", {"amount": "15000"})
    removed = client.delete(f"/api/v1/quotas/{created.json()['id']}/")

    assert created.status_code == 201
    assert again.status_code == 400
    assert changed.json()["amount"] == "15000.00"
    assert removed.status_code == 204
    assert not Quota.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"month": "2026-03-15", "amount": "1"},
        {"month": "2026-03-01", "amount": "-1"},
        {"month": "2026-03-01", "amount": "1", "team": "north"},
    ],
)
def test_quota_values_are_checked(api, company, body):
    response = api(company.admin).post("/api/v1/quotas/", {"user": company.rep1.pk, **body})

    assert response.status_code == 400


def test_managers_cannot_set_quotas(api, company):
    quota = Quota.objects.create(user=company.rep1, month=datetime.date(2026, 1, 1), amount=5)
    client = api(company.manager)

    assert client.patch(f"/api/v1/quotas/{quota.pk}/", {"amount": "9"}).status_code == 403
    quota.refresh_from_db()
    assert quota.amount == Decimal(5)


def test_lost_reasons_offer_the_active_ones(api, company):
    LostReason.objects.create(name="Price", position=1)
    LostReason.objects.create(name="Timing", position=0)
    LostReason.objects.create(name="Old", is_active=False)

    reasons = api(company.rep1).get("/api/v1/lost-reasons/").json()["results"]

    assert [r["name"] for r in reasons] == ["Timing", "Price"]


# -- board --------------------------------------------------------------------------------


def test_the_board_has_totals_over_whole_columns_and_their_first_cards(api, company):
    first = company.stages[0]
    deals = [factories.make_deal(company.rep1, company.sales, value=Decimal(100)) for _ in range(3)]
    factories.make_deal(company.rep2, company.sales, value=None)

    board = api(company.rep1).get(f"/api/v1/board/{company.sales.pk}/", {"limit": 2}).json()

    column = board["columns"][0]
    assert (column["stage"], column["name"], column["probability"]) == (first.pk, first.name, 10)
    assert (column["count"], column["total"], column["weighted"]) == (4, "300.00", "30.00")
    assert len(column["cards"]) == 2
    assert column["next_offset"] == 2
    assert [c["id"] for c in column["cards"]][1] == deals[2].pk
    assert [c["name"] for c in board["columns"]] == [s.name for s in company.stages]


def test_the_board_honours_its_filters(api, company):
    mine = factories.make_deal(company.rep1, company.sales, title="Acme")
    factories.make_deal(company.rep2, company.sales, title="Acme too")
    factories.make_deal(company.rep1, company.sales, title="Globex")
    client = api(company.rep1)

    board = client.get(f"/api/v1/board/{company.sales.pk}/", {"owner": "me", "q": "acme"}).json()

    assert [c["id"] for c in board["columns"][0]["cards"]] == [mine.pk]
    assert board["columns"][0]["count"] == 1


def test_an_archived_pipeline_has_no_board(api, company):
    company.sales.is_active = False
    company.sales.save()

    response = api(company.admin).get(f"/api/v1/board/{company.sales.pk}/")

    assert response.status_code == 404


def test_stages_of_a_pipeline_in_order(api, company):
    stages = api(company.rep1).get("/api/v1/stages/", {"pipeline": company.sales.pk}).json()

    assert [s["id"] for s in stages["results"]] == [s.pk for s in company.stages]
    assert Stage.objects.count() == 8
