"""API activities are scheduled unless they say they are done (docs/hardening/gate-activities.md):
``done`` defaults to false, a ``done_at`` implies done, and the schema says so."""

import datetime

from django.utils import timezone

from deals.models import Activity
from pipelines.models import ChecklistItem
from tests import factories

ACTIVITIES = "/api/v1/activities/"


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_logging_an_activity_with_done_true_marks_the_deal_active(api, company):
    deal = factories.make_deal(company.rep1, company.sales)

    response = api(company.rep1).post(
        ACTIVITIES, {"deal": deal.pk, "kind": "meeting", "subject": "Demo", "done": True}
    )

    assert response.status_code == 201
    assert response.json()["owner"] == company.rep1.pk
    deal.refresh_from_db()
    assert _iso(deal.last_activity_at) == response.json()["done_at"]
    assert deal.version == 2


def test_a_meeting_with_a_due_time_and_no_done_at_is_scheduled_and_satisfies_nothing(api, company):
    qualification = company.stages[1]
    factories.make_item(
        qualification,
        ChecklistItem.Kind.EXIT,
        text="Meeting held",
        satisfied_by=ChecklistItem.SatisfiedBy.ACTIVITY,
        activity_kind="meeting",
    )
    deal = factories.make_deal(company.rep1, company.sales, qualification)
    client = api(company.rep1)
    next_week = timezone.now() + datetime.timedelta(days=7)

    response = client.post(
        ACTIVITIES,
        {"deal": deal.pk, "kind": "meeting", "subject": "Demo", "due_at": _iso(next_week)},
    )

    assert response.status_code == 201
    assert response.json()["done_at"] is None
    deal.refresh_from_db()
    assert deal.last_activity_at is None
    assert client.get(f"/api/v1/deals/{deal.pk}/").json()["checklist"] == {
        "done": 0,
        "required": 1,
    }
    move = client.post(
        f"/api/v1/deals/{deal.pk}/move/", {"stage": company.stages[2].pk, "version": deal.version}
    )
    assert move.status_code == 409
    assert [item["text"] for item in move.json()["missing"]] == ["Meeting held"]


def test_an_activity_without_done_or_times_is_scheduled(api, company):
    deal = factories.make_deal(company.rep1, company.sales)

    response = api(company.rep1).post(
        ACTIVITIES, {"deal": deal.pk, "kind": "task", "subject": "Send offer"}
    )

    assert response.status_code == 201
    assert response.json()["done_at"] is None


def test_a_past_done_at_logs_the_activity_at_that_time(api, company):
    deal = factories.make_deal(company.rep1, company.sales)
    yesterday = (timezone.now() - datetime.timedelta(days=1)).replace(microsecond=0)

    response = api(company.rep1).post(
        ACTIVITIES,
        {"deal": deal.pk, "kind": "call", "subject": "Intro", "done_at": _iso(yesterday)},
    )

    assert response.status_code == 201
    assert response.json()["done_at"] == _iso(yesterday)
    deal.refresh_from_db()
    assert deal.last_activity_at == yesterday


def test_done_false_with_a_done_at_is_a_field_error_and_saves_nothing(api, company):
    deal = factories.make_deal(company.rep1, company.sales)
    yesterday = timezone.now() - datetime.timedelta(days=1)

    response = api(company.rep1).post(
        ACTIVITIES,
        {
            "deal": deal.pk,
            "kind": "call",
            "subject": "x",
            "done": False,
            "done_at": _iso(yesterday),
        },
    )

    assert response.status_code == 400
    assert "done_at" in response.json()["errors"]
    assert not Activity.objects.exists()


def test_the_schema_documents_the_default(api, company):
    schema = api(company.rep1).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    create = schema["components"]["schemas"]["ActivityCreateRequest"]["properties"]

    assert "default" not in create["done"]
    assert "else false" in create["done"]["description"]
    assert "implies `done: true`" in create["done_at"]["description"]
