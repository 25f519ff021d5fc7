"""Deal actions through the API (docs/domain/api.md): each one's success and refusals.

The rules themselves are tested on the services (tests/deals/); these tests check that
the API reaches them and answers with the documented shapes.
"""

import pytest

from deals.models import ChecklistCheck, Deal, DealEvent, LostReason, MoveRefusal, StageChange
from pipelines.models import ChecklistItem
from tests import factories


def _url(deal: Deal, action: str = "") -> str:
    return f"/api/v1/deals/{deal.pk}/{action + '/' if action else ''}"


@pytest.fixture
def exit_item(company):
    return factories.make_item(company.stages[0], text="Budget confirmed")


# -- move --------------------------------------------------------------------------------


def test_move_forward_answers_the_moved_deal(rep1, company, deal):
    response = rep1.post(
        _url(deal, "move"), {"stage": company.stages[2].pk, "version": deal.version}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["stage"], body["position"], body["version"]) == (company.stages[2].pk, 0, 2)
    assert (body["probability"], body["weighted_value"]) == (40, "400.00")
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.MOVED).exists()


def test_move_with_missing_items_answers_409_listing_them(rep1, company, deal, exit_item):
    entry = factories.make_item(
        company.stages[1],
        ChecklistItem.Kind.ENTRY,
        text="Decision maker named",
        satisfied_by=ChecklistItem.SatisfiedBy.FIELD,
        field_name=ChecklistItem.Field.PERSON,
    )

    response = rep1.post(
        _url(deal, "move"), {"stage": company.stages[1].pk, "version": deal.version}
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "checklist_incomplete"
    assert body["missing"] == [
        {
            "id": exit_item.pk,
            "text": "Budget confirmed",
            "stage": company.stages[0].pk,
            "kind": "exit",
            "satisfied_by": "manual",
            "field_name": "",
            "activity_kind": "",
            "custom_field": None,
            "condition": "",
            "operand": None,
        },
        {
            "id": entry.pk,
            "text": "Decision maker named",
            "stage": company.stages[1].pk,
            "kind": "entry",
            "satisfied_by": "field",
            "field_name": "person",
            "activity_kind": "",
            "custom_field": None,
            "condition": "",
            "operand": None,
        },
    ]
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (company.stages[0], 1)
    assert MoveRefusal.objects.filter(deal=deal).count() == 1


def test_a_manager_overrides_missing_items_with_a_reason(api, company, deal, exit_item):
    response = api(company.manager).post(
        _url(deal, "move"),
        {"stage": company.stages[1].pk, "version": deal.version, "override_reason": "Verbal"},
    )

    assert response.status_code == 200
    change = StageChange.objects.get(deal=deal, to_stage=company.stages[1])
    assert change.override_reason == "Verbal"
    assert list(change.overridden_items.all()) == [exit_item]


def test_a_rep_cannot_override(rep1, company, deal, exit_item):
    response = rep1.post(
        _url(deal, "move"),
        {"stage": company.stages[1].pk, "version": deal.version, "override_reason": "Trust me"},
    )

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_stale_version_answers_409_with_the_current_one(rep1, company, deal):
    rep1.post(_url(deal, "move"), {"stage": company.stages[1].pk, "version": 1})

    response = rep1.post(_url(deal, "move"), {"stage": company.stages[2].pk, "version": 1})

    assert response.status_code == 409
    assert response.json() == {
        "code": "version_conflict",
        "message": response.json()["message"],
        "current_version": 2,
    }
    deal.refresh_from_db()
    assert deal.stage == company.stages[1]


def test_a_position_past_the_end_of_the_column_answers_400(rep1, company, deal):
    factories.make_deal(company.rep1, company.sales, stage=company.stages[1])

    response = rep1.post(
        _url(deal, "move"), {"stage": company.stages[1].pk, "position": 2, "version": 1}
    )

    assert response.status_code == 400
    assert "position" in response.json()["errors"]


def test_the_position_is_an_index_in_the_whole_column(rep1, company, deal):
    others = [
        factories.make_deal(company.rep2, company.sales, stage=company.stages[1]) for _ in range(2)
    ]

    response = rep1.post(
        _url(deal, "move"), {"stage": company.stages[1].pk, "position": 1, "version": 1}
    )

    assert response.status_code == 200
    assert response.json()["position"] == 1
    order = Deal.objects.filter(stage=company.stages[1]).order_by("position")
    assert list(order) == [others[1], deal, others[0]]


def test_a_stage_of_another_pipeline_needs_the_pipeline_named(rep1, company, deal):
    due = company.private.stages.get(name="Due")

    refused = rep1.post(_url(deal, "move"), {"stage": due.pk, "version": 1})
    moved = rep1.post(
        _url(deal, "move"), {"stage": due.pk, "pipeline": company.private.pk, "version": 1}
    )

    assert refused.status_code == 400
    assert "stage" in refused.json()["errors"]
    assert moved.status_code == 200
    assert (moved.json()["pipeline"], moved.json()["stage"]) == (company.private.pk, due.pk)


def test_a_stage_that_does_not_exist_answers_400(rep1, deal):
    response = rep1.post(_url(deal, "move"), {"stage": 999_999, "version": 1})

    assert response.status_code == 400
    assert "stage" in response.json()["errors"]


def test_a_teammates_deal_is_read_only(api, company):
    teammates = factories.make_deal(company.rep2, company.sales)
    client = api(company.rep1)

    assert client.get(_url(teammates)).status_code == 200
    response = client.post(_url(teammates, "move"), {"stage": company.stages[1].pk, "version": 1})

    assert response.status_code == 403
    teammates.refresh_from_db()
    assert teammates.stage == company.stages[0]


def test_another_teams_deal_does_not_exist_for_a_rep(api, company):
    theirs = factories.make_deal(company.rep3, company.sales, title="Secret")

    response = api(company.rep1).post(
        _url(theirs, "move"), {"stage": company.stages[1].pk, "version": 1}
    )

    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


# -- won, lost, reopen -------------------------------------------------------------------


def test_won_closes_the_deal(rep1, deal):
    response = rep1.post(_url(deal, "won"), {"version": 1})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["position"]) == ("won", None)


def test_won_needs_the_stage_exit_items(rep1, deal, exit_item):
    response = rep1.post(_url(deal, "won"), {"version": 1})

    assert response.status_code == 409
    assert [item["id"] for item in response.json()["missing"]] == [exit_item.pk]
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


def test_won_with_a_stale_version_answers_409(rep1, deal):
    response = rep1.post(_url(deal, "won"), {"version": 7})

    assert response.status_code == 409
    assert response.json()["current_version"] == 1


@pytest.mark.parametrize("reason", ["price", "by-id"])
def test_lost_takes_a_reason_by_name_or_id(rep1, deal, reason):
    price = LostReason.objects.create(name="Price")

    response = rep1.post(
        _url(deal, "lost"),
        {"reason": price.pk if reason == "by-id" else reason, "note": "Too dear", "version": 1},
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["lost_reason"]) == ("lost", price.pk)
    deal.refresh_from_db()
    assert deal.lost_note == "Too dear"


@pytest.mark.parametrize(
    ("body", "active"),
    [({"reason": "Weather", "version": 1}, True), ({"version": 1}, True)],
)
def test_lost_needs_a_known_reason(rep1, deal, body, active):
    LostReason.objects.create(name="Price")

    response = rep1.post(_url(deal, "lost"), body)

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


def test_lost_refuses_a_retired_reason(rep1, deal):
    LostReason.objects.create(name="Price", is_active=False)

    response = rep1.post(_url(deal, "lost"), {"reason": "Price", "version": 1})

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


def test_reopen_brings_a_lost_deal_back_to_the_top_of_its_stage(rep1, deal):
    LostReason.objects.create(name="Price")
    rep1.post(_url(deal, "lost"), {"reason": "Price", "version": 1})

    response = rep1.post(_url(deal, "reopen"), {"version": 2})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["lost_reason"], body["position"]) == ("open", None, 0)


def test_reopen_refuses_an_open_deal_and_a_stale_version(rep1, deal):
    assert rep1.post(_url(deal, "reopen"), {"version": 1}).status_code == 400
    rep1.post(_url(deal, "won"), {"version": 1})

    response = rep1.post(_url(deal, "reopen"), {"version": 1})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2


# -- checklist ---------------------------------------------------------------------------


def test_ticking_and_unticking_a_manual_item(rep1, deal, exit_item):
    url = _url(deal, f"checklist/{exit_item.pk}")

    ticked = rep1.post(url, {"version": 1})
    unticked = rep1.delete(f"{url}?version=2")

    assert ticked.status_code == 200
    assert ticked.json()["checklist"] == {"done": 1, "required": 1}
    assert unticked.status_code == 200
    assert unticked.json()["checklist"] == {"done": 0, "required": 1}
    assert unticked.json()["version"] == 3
    assert not ChecklistCheck.objects.filter(deal=deal).exists()


def test_ticking_without_a_body_is_allowed(rep1, deal, exit_item):
    response = rep1.post(_url(deal, f"checklist/{exit_item.pk}"))

    assert response.status_code == 200
    assert response.json()["checklist"]["done"] == 1


def test_ticking_with_a_stale_version_answers_409(rep1, deal, exit_item):
    response = rep1.post(_url(deal, f"checklist/{exit_item.pk}"), {"version": 5})

    assert response.status_code == 409
    assert not ChecklistCheck.objects.filter(deal=deal).exists()


def test_automatic_items_cannot_be_ticked(rep1, company, deal):
    item = factories.make_item(
        company.stages[0],
        satisfied_by=ChecklistItem.SatisfiedBy.FIELD,
        field_name=ChecklistItem.Field.EXPECTED_CLOSE_DATE,
    )

    response = rep1.post(_url(deal, f"checklist/{item.pk}"))

    assert response.status_code == 400


def test_items_of_other_pipelines_and_unknown_items(rep1, company, deal):
    elsewhere = factories.make_item(company.private.stages.first())

    assert rep1.post(_url(deal, f"checklist/{elsewhere.pk}")).status_code == 400
    assert rep1.post(_url(deal, "checklist/999999")).status_code == 404
    assert rep1.post(_url(deal, "checklist/abc")).status_code == 404


def test_a_read_only_viewer_cannot_tick(api, company, deal, exit_item):
    response = api(company.rep2).post(_url(deal, f"checklist/{exit_item.pk}"))

    assert response.status_code == 403
    assert not ChecklistCheck.objects.filter(deal=deal).exists()


# -- events ------------------------------------------------------------------------------


def test_events_are_the_deals_timeline_newest_first(rep1, company, deal):
    rep1.post(_url(deal, "move"), {"stage": company.stages[1].pk, "version": 1})

    response = rep1.get(_url(deal, "events"))

    assert response.status_code == 200
    kinds = [event["kind"] for event in response.json()["results"]]
    assert kinds == ["moved", "created"]
    assert response.json()["results"][0]["data"]["to"] == "Qualification"
    assert response.json()["results"][0]["user"] == company.rep1.pk


def test_events_of_an_invisible_deal_answer_404(api, company, deal):
    assert api(company.rep3).get(_url(deal, "events")).status_code == 404
    assert api(company.rep3).get("/api/v1/deals/abc/events/").status_code == 404


# -- create and edit ---------------------------------------------------------------------


def test_a_rep_creates_a_deal_at_the_top_of_a_stage(rep1, company):
    organization = rep1.post("/api/v1/organizations/", {"name": "Acme"}).json()["id"]

    response = rep1.post(
        "/api/v1/deals/",
        {
            "title": "Acme expansion",
            "value": "2500.50",
            "pipeline": company.sales.pk,
            "stage": company.stages[1].pk,
            "organization": organization,
            "expected_close_date": "2026-12-31",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == company.rep1.pk
    assert (body["position"], body["version"], body["status"]) == (0, 1, "open")
    assert (body["value"], body["weighted_value"], body["currency"]) == (
        "2500.50",
        "500.10",
        "EUR",
    )
    assert body["organization"] == organization


def test_who_may_create_deals_for_whom(api, company):
    body = {"title": "T", "pipeline": company.sales.pk, "stage": company.stages[0].pk}

    assert (
        api(company.rep1).post("/api/v1/deals/", {**body, "owner": company.rep2.pk}).status_code
        == 403
    )
    assert (
        api(company.manager).post("/api/v1/deals/", {**body, "owner": company.rep2.pk}).status_code
        == 201
    )
    assert (
        api(company.manager).post("/api/v1/deals/", {**body, "owner": company.rep3.pk}).status_code
        == 403
    )
    assert (
        api(company.admin).post("/api/v1/deals/", {**body, "owner": company.rep3.pk}).status_code
        == 201
    )


def test_creating_in_a_stage_of_another_pipeline_answers_400(rep1, company):
    due = company.private.stages.first()

    response = rep1.post(
        "/api/v1/deals/", {"title": "T", "pipeline": company.sales.pk, "stage": due.pk}
    )

    assert response.status_code == 400
    assert "stage" in response.json()["errors"]


def test_editing_fields_bumps_the_version_and_records_events(rep1, deal):
    response = rep1.patch(
        _url(deal), {"version": 1, "value": "0.00", "probability_override": 75, "title": "New"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["value"], body["probability"], body["weighted_value"]) == ("0.00", 75, "0.00")
    assert (body["title"], body["version"]) == ("New", 2)
    edited = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED)
    assert {event.data["field"] for event in edited} == {"value", "probability_override", "title"}


def test_editing_with_a_stale_version_answers_409(rep1, deal):
    rep1.patch(_url(deal), {"version": 1, "title": "First"})

    response = rep1.patch(_url(deal), {"version": 1, "title": "Second"})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    deal.refresh_from_db()
    assert deal.title == "First"


@pytest.mark.parametrize(
    ("actor", "new_owner", "expected"),
    [
        ("rep1", "rep2", 403),
        ("manager", "rep2", 200),
        ("manager", "rep3", 403),
        ("admin", "rep3", 200),
    ],
)
def test_reassigning_by_patching_the_owner(api, company, deal, actor, new_owner, expected):
    new_owner = getattr(company, new_owner)

    response = api(getattr(company, actor)).patch(_url(deal), {"version": 1, "owner": new_owner.pk})

    assert response.status_code == expected
    deal.refresh_from_db()
    assert (deal.owner == new_owner) is (expected == 200)


def test_edit_and_reassign_apply_together(api, company, deal):
    response = api(company.manager).patch(
        _url(deal), {"version": 1, "title": "Handed over", "owner": company.rep2.pk}
    )

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["owner"]) == ("Handed over", company.rep2.pk)
    assert response.json()["version"] == 3


def test_a_refused_reassignment_keeps_the_edit_out_too(api, company, deal):
    response = api(company.manager).patch(
        _url(deal), {"version": 1, "title": "Handed over", "owner": company.rep3.pk}
    )

    assert response.status_code == 403
    deal.refresh_from_db()
    assert (deal.title, deal.version) == ("Acme renewal", 1)
