"""Future-dated activities never satisfy activity items (docs/hardening/gate-activities.md).

A done time beyond the clock skew is refused on every path that sets one (the service, the
API, the deal page's form, the Django admin); the checklist rule (moves, deal page, board
cards, the API's progress) counts only activities done between entering the stage and now,
so a future-dated row stored before this rule existed satisfies nothing either.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from deals.checklist_rules import move_missing_items
from deals.models import Activity, Deal
from deals.selectors.board import board_columns
from deals.selectors.filters import BoardFilters
from deals.services.activities import activity_log
from deals.services.moves import deal_move
from pipelinecrm.exceptions import ChecklistIncomplete
from pipelines.models import ChecklistItem
from tests.factories import make_item, reload

HTMX = {"HTTP_HX_REQUEST": "true"}
YEAR_2100 = datetime.datetime(2100, 1, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def meeting_item(qualification):
    return make_item(
        qualification,
        ChecklistItem.Kind.EXIT,
        text="Meeting held",
        satisfied_by=ChecklistItem.SatisfiedBy.ACTIVITY,
        activity_kind="meeting",
    )


@pytest.fixture
def deal_stage(qualification):
    """``deal`` is rep1's deal in Qualification."""
    return qualification


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# -- refused on every path --------------------------------------------------------------------


def test_the_service_refuses_a_done_time_in_the_future(company, deal):
    with pytest.raises(ValidationError) as refused:
        activity_log(
            user=company.rep1, deal=deal, kind="meeting", subject="Demo", done_at=YEAR_2100
        )

    assert "done_at" in refused.value.message_dict
    assert not Activity.objects.exists()
    assert reload(deal).version == deal.version


def test_a_done_time_within_the_clock_skew_is_accepted(company, deal, settings):
    settings.ACTIVITY_CLOCK_SKEW_MINUTES = 5
    slightly_ahead = timezone.now() + datetime.timedelta(minutes=2)

    activity = activity_log(
        user=company.rep1, deal=deal, kind="call", subject="Call", done_at=slightly_ahead
    )

    assert activity.done_at == slightly_ahead


def test_the_clock_skew_is_a_setting(company, deal, settings):
    settings.ACTIVITY_CLOCK_SKEW_MINUTES = 0
    with pytest.raises(ValidationError):
        activity_log(
            user=company.rep1,
            deal=deal,
            kind="call",
            subject="Call",
            done_at=timezone.now() + datetime.timedelta(minutes=2),
        )


def test_the_api_answers_400_on_done_at_and_saves_nothing(api, company, deal):
    response = api(company.rep1).post(
        "/api/v1/activities/",
        {"deal": deal.pk, "kind": "meeting", "subject": "Demo", "done_at": "2100-01-01T09:00:00Z"},
    )

    assert response.status_code == 400
    assert "in the future" in response.json()["errors"]["done_at"][0]
    assert not Activity.objects.exists()
    assert reload(deal).version == deal.version


def test_the_deal_page_form_shows_an_error_and_saves_nothing(company, login, deal):
    response = login(company.rep1).post(
        reverse("deal-activity-new", args=[deal.pk]),
        {
            "kind": "meeting",
            "subject": "Demo",
            "done_at": _local(YEAR_2100),
            "action": "log",
        },
        HTTP_HX_TARGET=f"deal-panel-{deal.pk}",
        **HTMX,
    )

    assert response.status_code == 422
    assert "An activity cannot be done in the future" in response.content.decode()
    assert not Activity.objects.exists()
    assert reload(deal).version == deal.version


def test_the_deal_page_logs_a_meeting_done_earlier_at_its_time(company, login, deal):
    earlier = (timezone.now() - datetime.timedelta(hours=3)).replace(second=0, microsecond=0)

    response = login(company.rep1).post(
        reverse("deal-activity-new", args=[deal.pk]),
        {"kind": "meeting", "subject": "Demo", "done_at": _local(earlier), "action": "log"},
        HTTP_HX_TARGET=f"deal-panel-{deal.pk}",
        **HTMX,
    )

    assert response.status_code == 200
    assert Activity.objects.get(deal=deal).done_at == earlier


def test_a_scheduled_activity_with_a_done_time_is_a_form_error(company, login, deal):
    response = login(company.rep1).post(
        reverse("deal-activity-new", args=[deal.pk]),
        {
            "kind": "meeting",
            "subject": "Demo",
            "due_at": _local(YEAR_2100),
            "done_at": _local(timezone.now() - datetime.timedelta(hours=1)),
            "action": "schedule",
        },
        HTTP_HX_TARGET=f"deal-panel-{deal.pk}",
        **HTMX,
    )

    assert response.status_code == 422
    assert "A scheduled activity is not done yet" in response.content.decode()
    assert not Activity.objects.exists()


def test_marking_done_on_the_activities_page_records_now_not_the_due_time(company, login, deal):
    scheduled = activity_log(
        user=company.rep1, deal=deal, kind="meeting", subject="Demo", done=False, due_at=YEAR_2100
    )

    response = login(company.rep1).post(
        reverse("activity-done", args=[scheduled.pk]),
        {"done": "1"},
        HTTP_HX_TARGET="activity-list",
        **HTMX,
    )

    assert response.status_code == 200
    scheduled.refresh_from_db()
    assert scheduled.done_at <= timezone.now()


def test_the_django_admin_refuses_a_future_done_time(company, admin_client, deal):
    response = admin_client.post(
        reverse("admin:deals_activity_add"),
        {
            "deal": deal.pk,
            "owner": company.rep1.pk,
            "kind": "meeting",
            "subject": "Demo",
            "done_at_0": "2100-01-01",
            "done_at_1": "09:00:00",
            "notes": "",
        },
    )

    assert response.status_code == 200
    assert "An activity cannot be done in the future" in response.content.decode()
    assert not Activity.objects.exists()


# -- the checklist rule ------------------------------------------------------------------------


def _store_future_meeting(company, deal) -> None:
    """A row as one written before done times were checked."""
    Activity.objects.create(
        deal=deal, owner=company.rep1, kind="meeting", subject="Held in 2100", done_at=YEAR_2100
    )


def test_a_stored_future_meeting_does_not_satisfy_the_exit_item(company, deal, meeting_item):
    _store_future_meeting(company, deal)

    assert move_missing_items(
        deal=deal, from_stage=deal.stage, to_stage=None, forward_jumps=deal.pipeline.forward_jumps
    ) == [meeting_item]
    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=company.stages[2], version=deal.version)
    assert reload(deal).stage == deal.stage


def test_a_stored_future_meeting_does_not_satisfy_an_entry_item(company, deal):
    demo = company.stages[2]
    make_item(
        demo,
        ChecklistItem.Kind.ENTRY,
        text="Met once",
        satisfied_by=ChecklistItem.SatisfiedBy.ACTIVITY,
        activity_kind="meeting",
    )
    _store_future_meeting(company, deal)

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=demo, version=deal.version)


def test_a_real_meeting_still_counts_next_to_a_future_one(company, deal, meeting_item):
    _store_future_meeting(company, deal)
    activity_log(user=company.rep1, deal=deal, kind="meeting", subject="Demo")

    deal_move(user=company.rep1, deal=reload(deal), stage=company.stages[2], version=2)

    assert reload(deal).stage == company.stages[2]


def test_a_meeting_before_entering_the_stage_does_not_satisfy_the_exit_item(
    company, deal, meeting_item
):
    Activity.objects.create(
        deal=deal,
        owner=company.rep1,
        kind="meeting",
        subject="Long ago",
        done_at=deal.stage_entered_at - datetime.timedelta(days=1),
    )

    assert move_missing_items(
        deal=deal, from_stage=deal.stage, to_stage=None, forward_jumps=deal.pipeline.forward_jumps
    ) == [meeting_item]


def test_board_cards_and_the_api_do_not_count_a_future_meeting(api, company, deal, meeting_item):
    _store_future_meeting(company, deal)

    columns = board_columns(
        pipeline=company.sales, user=company.rep1, filters=BoardFilters(), limit=50
    )
    card = next(card for column in columns for card in column.cards if card.pk == deal.pk)
    body = api(company.rep1).get(f"/api/v1/deals/{deal.pk}/").json()

    assert (card.checklist_done, card.checklist_required) == (0, 1)
    assert body["checklist"] == {"done": 0, "required": 1}
    assert Deal.objects.get(pk=deal.pk).last_activity_at is None
