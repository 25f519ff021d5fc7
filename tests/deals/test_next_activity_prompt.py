"""After an activity is done, the answer asks "What's next for <deal>?" with quick due dates
that schedule the follow-up at once; the deal page's quick actions log a call with its kind
as the subject (docs/domain/deals.md, "Activities on the phone")."""

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import Activity, Deal
from deals.selectors.activities import quick_due_at, quick_due_choices
from deals.services.activities import activity_log
from deals.services.moves import deal_mark_won
from tests.factories import make_deal, make_planned_activity

HTMX = {"HTTP_HX_REQUEST": "true"}


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _planned(company, deal, subject: str = "Ring them") -> Activity:
    return make_planned_activity(
        company.rep1, deal, subject=subject, due_in=datetime.timedelta(hours=-2)
    )


# -- quick due dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "utc_now", "expected"),
    [
        # Monday 23:30 UTC is already Tuesday in Berlin: tomorrow is Wednesday there.
        (
            "Europe/Berlin",
            datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC),
            ("2026-12-09", "2026-12-11"),
        ),
        # ... and still Monday afternoon in New York.
        (
            "America/New_York",
            datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC),
            ("2026-12-08", "2026-12-10"),
        ),
    ],
)
def test_quick_due_dates_follow_the_company_calendar(settings, zone, utc_now, expected):
    settings.TIME_ZONE = zone
    now = utc_now

    tomorrow, in3days, nextweek = (
        quick_due_at(key, now=now) for key in ("tomorrow", "in3days", "nextweek")
    )

    local = zoneinfo.ZoneInfo(zone)
    assert tomorrow.astimezone(local).isoformat()[:16] == f"{expected[0]}T09:00"
    assert in3days.astimezone(local).isoformat()[:16] == f"{expected[1]}T09:00"
    # Next week is the Monday after: 14 December 2026 in both zones.
    assert nextweek.astimezone(local).isoformat()[:16] == "2026-12-14T09:00"


def test_next_week_from_a_sunday_is_the_next_day(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    sunday_noon = datetime.datetime(2026, 12, 13, 11, 0, tzinfo=datetime.UTC)

    assert timezone.localtime(quick_due_at("nextweek", now=sunday_noon)).date() == datetime.date(
        2026, 12, 14
    )


def test_the_quick_choices_fill_a_datetime_local_input_in_company_time(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    now = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)

    choices = quick_due_choices(now=now)

    assert [(c.key, c.label, c.local_value) for c in choices] == [
        ("tomorrow", "Tomorrow", "2026-12-08T09:00"),
        ("in3days", "In 3 days", "2026-12-10T09:00"),
        ("nextweek", "Next week", "2026-12-14T09:00"),
    ]


# -- the prompt after "Done" ---------------------------------------------------------------------


def test_marking_done_on_the_deal_page_answers_with_the_prompt(company, login):
    deal = make_deal(company.rep1, company.sales, title="Initech renewal")
    activity = _planned(company, deal)

    response = login(company.rep1).post(
        reverse("activity-done", args=[activity.pk]),
        {"done": "1", "back": "deal"},
        HTTP_HX_TARGET=f"deal-panel-{deal.pk}",
        **HTMX,
    )

    assert response.status_code == 200
    text = _text(response)
    assert "“Ring them” done." in text
    assert "What's next for Initech renewal?" in response.content.decode().replace("&#x27;", "'")
    assert "No next step" in text
    html = response.content.decode()
    for key in ("tomorrow", "in3days", "nextweek"):
        assert f'name="when" value="{key}"' in html
    assert f'id="next-prompt-{deal.pk}"' in html
    # The prompt is scrolled into view after the swap.
    assert response["HX-Reswap"] == f"outerHTML show:#next-prompt-{deal.pk}:top"


def test_marking_done_on_my_activities_answers_with_the_prompt(company, login):
    deal = make_deal(company.rep1, company.sales, title="Globex pilot")
    activity = _planned(company, deal)

    response = login(company.rep1).post(
        reverse("activity-done", args=[activity.pk]),
        {"done": "1"},
        HTTP_HX_TARGET="activity-list",
        HTTP_HX_CURRENT_URL="http://testserver/activities/?tab=overdue&kind=call",
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode().replace("&#x27;", "'")
    assert "What's next for Globex pilot?" in html
    assert 'hx-target="#activity-list"' in html
    # "No next step" returns to the same list, filters kept.
    assert 'href="/activities/?tab=overdue&amp;kind=call"' in html
    assert response["HX-Reswap"] == f"innerHTML show:#next-prompt-{deal.pk}:top"


def test_undoing_or_a_closed_deal_shows_no_prompt(company, login):
    deal = make_deal(company.rep1, company.sales)
    done = activity_log(user=company.rep1, deal=deal, kind="call", subject="Old call")
    closed = make_deal(company.rep1, company.sales)
    on_closed = _planned(company, closed)
    deal_mark_won(user=company.rep1, deal=Deal.objects.get(pk=closed.pk), version=None)
    client = login(company.rep1)

    undone = client.post(
        reverse("activity-done", args=[done.pk]),
        {"done": "0"},
        HTTP_HX_TARGET="activity-list",
        **HTMX,
    )
    on_won = client.post(
        reverse("activity-done", args=[on_closed.pk]),
        {"done": "1"},
        HTTP_HX_TARGET="activity-list",
        **HTMX,
    )

    for response in (undone, on_won):
        assert response.status_code == 200
        assert "next-prompt" not in response.content.decode()
        assert "HX-Reswap" not in response


@pytest.mark.parametrize(("key", "days"), [("tomorrow", 1), ("in3days", 3)])
def test_a_quick_choice_in_the_prompt_schedules_the_follow_up(company, login, settings, key, days):
    settings.TIME_ZONE = "Europe/Berlin"
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    response = client.post(
        reverse("deal-activity-new", args=[deal.pk]),
        {
            "kind": "meeting",
            "subject": "",
            "action": "schedule",
            "default_subject": "1",
            "back": "activities",
            "when": key,
        },
        HTTP_HX_TARGET="activity-list",
        HTTP_HX_CURRENT_URL="http://testserver/activities/?tab=upcoming",
        **HTMX,
    )

    assert response.status_code == 200
    assert "Scheduled: meeting." in _text(response)
    assert "next-prompt" not in response.content.decode()
    follow_up = Activity.objects.get(deal=deal)
    assert follow_up.subject == "Meeting"
    assert follow_up.done_at is None
    due = timezone.localtime(follow_up.due_at)
    assert due.date() == timezone.localdate() + datetime.timedelta(days=days)
    assert (due.hour, due.minute) == (9, 0)


def test_the_prompt_on_the_deal_page_answers_with_the_panel(company, login):
    deal = make_deal(company.rep1, company.sales)

    response = login(company.rep1).post(
        reverse("deal-activity-new", args=[deal.pk]),
        {
            "kind": "call",
            "subject": "Check the contract",
            "action": "schedule",
            "default_subject": "1",
            "back": "deal",
            "when": "nextweek",
        },
        HTTP_HX_TARGET=f"deal-panel-{deal.pk}",
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#deal-panel-{deal.pk}"
    assert "Scheduled: call." in _text(response)
    follow_up = Activity.objects.get(deal=deal)
    assert follow_up.subject == "Check the contract"
    assert timezone.localtime(follow_up.due_at).weekday() == 0


def test_without_htmx_the_prompt_goes_back_to_my_activities(company, login):
    deal = make_deal(company.rep1, company.sales)

    response = login(company.rep1).post(
        reverse("deal-activity-new", args=[deal.pk]),
        {
            "kind": "task",
            "action": "schedule",
            "default_subject": "1",
            "back": "activities",
            "when": "tomorrow",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("activities")
    assert Activity.objects.get(deal=deal).subject == "Task"


# -- logging from the deal page ------------------------------------------------------------------


def test_a_call_logged_without_a_subject_is_called_after_its_kind_and_asks_for_the_next(
    company, login
):
    deal = make_deal(company.rep1, company.sales, title="Umbrella")

    response = login(company.rep1).post(
        reverse("deal-activity-new", args=[deal.pk]),
        {"kind": "call", "subject": "", "default_subject": "1", "action": "log", "due_at": ""},
        HTTP_HX_TARGET=f"deal-panel-{deal.pk}",
        **HTMX,
    )

    assert response.status_code == 200
    assert "Logged: call." in _text(response)
    assert "What's next for Umbrella?" in response.content.decode().replace("&#x27;", "'")
    activity = Activity.objects.get(deal=deal)
    assert activity.subject == "Call"
    assert activity.done_at is not None


def test_the_subject_default_speaks_the_users_language(company, login):
    deal = make_deal(company.rep1, company.sales)
    company.rep1.language = "de"
    company.rep1.save(update_fields=["language"])

    login(company.rep1).post(
        reverse("deal-activity-new", args=[deal.pk]),
        {"kind": "note", "subject": "", "default_subject": "1", "action": "log"},
        HTTP_HX_TARGET=f"deal-panel-{deal.pk}",
        **HTMX,
    )

    # German until the lead merges the catalogs: "Notiz"; the English kind name before.
    assert Activity.objects.get(deal=deal).subject in {"Notiz", "Note"}


def test_the_deal_page_offers_the_quick_actions_and_due_dates(company, login, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    deal = make_deal(company.rep1, company.sales)

    html = login(company.rep1).get(reverse("deal-detail", args=[deal.pk])).content.decode()

    for label in ("Log call", "Log note", "Schedule next", "Tomorrow", "In 3 days", "Next week"):
        assert label in html
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert f'data-fill-due="{tomorrow:%Y-%m-%d}T09:00"' in html
    assert 'name="default_subject" value="1"' in html
