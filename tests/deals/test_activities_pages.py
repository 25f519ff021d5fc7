"""Activities on the deal page and "My activities" (docs/domain/deals.md).

What a user relies on: logging a done activity moves the deal's last activity and clears
its stalled flag at once, scheduling one does not; done / undo / delete recompute; the
board's card markers follow; "My activities" splits overdue / today / upcoming / done by
the company's calendar (TIME_ZONE), filters by kind and deal, and shows only what the user
may see.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import Activity, Deal, DealEvent
from deals.selectors.activities import today_bounds
from deals.services.activities import activity_log
from tests.factories import make_deal

HTMX = {"HTTP_HX_REQUEST": "true"}


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _log(client, deal, **fields):
    data = {"kind": "call", "subject": "Intro call", "due_at": "", "notes": "", "action": "log"}
    return client.post(
        reverse("deal-activity-new", args=[deal.pk]),
        {**data, **fields},
        HTTP_HX_TARGET=f"deal-panel-{deal.pk}",
        **HTMX,
    )


def _stall(deal: Deal) -> None:
    Deal.objects.filter(pk=deal.pk).update(
        is_stalled=True, stalled_since=timezone.now() - datetime.timedelta(days=2)
    )


# -- on the deal page --------------------------------------------------------------------------


def test_logging_a_done_activity_sets_last_activity_and_clears_the_stalled_flag(company, login):
    deal = make_deal(company.rep1, company.sales)
    _stall(deal)

    response = _log(login(company.rep1), deal, kind="meeting", subject="Demo", notes="Liked it")

    assert response.status_code == 200
    assert "Logged: meeting." in _text(response)
    assert "Rep1 Test logged a meeting: “Demo”." in _text(response)
    deal.refresh_from_db()
    activity = Activity.objects.get(deal=deal)
    assert activity.done_at is not None
    assert activity.notes == "Liked it"
    assert deal.last_activity_at == activity.done_at
    assert not deal.is_stalled
    assert deal.stalled_since is None


def test_scheduling_an_activity_neither_moves_last_activity_nor_unstalls(company, login):
    deal = make_deal(company.rep1, company.sales)
    _stall(deal)

    response = _log(
        login(company.rep1),
        deal,
        kind="task",
        subject="Send the proposal",
        due_at="2031-05-04T10:30",
        action="schedule",
    )

    assert response.status_code == 200
    activity = Activity.objects.get(deal=deal)
    assert activity.done_at is None
    assert timezone.localtime(activity.due_at).strftime("%Y-%m-%d %H:%M") == "2031-05-04 10:30"
    deal.refresh_from_db()
    assert deal.last_activity_at is None
    assert deal.is_stalled
    assert "Rep1 Test scheduled a task for 4 May 2031, 10:30: “Send the proposal”." in _text(
        response
    )


def test_scheduling_needs_a_due_time_and_a_subject(company, login):
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    no_due = _log(client, deal, action="schedule")
    no_subject = _log(client, deal, subject="")

    assert no_due.status_code == 422
    assert "Say when it is due to schedule it." in _text(no_due)
    assert no_subject.status_code == 422
    assert not Activity.objects.exists()


def test_done_undo_and_delete_recompute_the_last_activity(company, login):
    deal = make_deal(company.rep1, company.sales)
    earlier = activity_log(user=company.rep1, deal=deal, kind="call", subject="First call")
    planned = activity_log(
        user=company.rep1,
        deal=deal,
        kind="meeting",
        subject="Demo",
        done=False,
        due_at=timezone.now() + datetime.timedelta(days=1),
    )
    _stall(deal)
    client = login(company.rep1)
    target = {"HTTP_HX_TARGET": f"deal-panel-{deal.pk}", **HTMX}

    done = client.post(reverse("activity-done", args=[planned.pk]), {"done": "1"}, **target)
    assert done.status_code == 200
    planned.refresh_from_db()
    deal.refresh_from_db()
    assert deal.last_activity_at == planned.done_at
    assert not deal.is_stalled

    undone = client.post(reverse("activity-done", args=[planned.pk]), {"done": "0"}, **target)
    assert undone.status_code == 200
    deal.refresh_from_db()
    earlier.refresh_from_db()
    assert deal.last_activity_at == earlier.done_at

    deleted = client.post(reverse("activity-delete", args=[earlier.pk]), **target)
    assert deleted.status_code == 200
    assert "“First call” deleted." in _text(deleted)
    deal.refresh_from_db()
    assert deal.last_activity_at is None
    assert list(Activity.objects.values_list("subject", flat=True)) == ["Demo"]


def test_a_teammate_cannot_log_complete_or_delete_activities_on_a_deal_they_only_see(
    company, login
):
    deal = make_deal(company.rep1, company.sales)
    activity = activity_log(
        user=company.rep1, deal=deal, kind="call", subject="Call", done=False, due_at=None
    )
    client = login(company.rep2)

    assert _log(client, deal).status_code == 403
    done = client.post(reverse("activity-done", args=[activity.pk]), {"done": "1"}, **HTMX)
    assert done.status_code == 403
    assert client.post(reverse("activity-delete", args=[activity.pk]), **HTMX).status_code == 403
    activity.refresh_from_db()
    assert activity.done_at is None
    assert Activity.objects.count() == 1
    # Someone who cannot see the deal does not learn the activity exists.
    outsider = login(company.rep3)
    response = outsider.post(reverse("activity-done", args=[activity.pk]), {"done": "1"})
    assert response.status_code == 404


def test_the_board_card_markers_follow_the_activities(company, login):
    deal = make_deal(company.rep1, company.sales, title="Marker deal")
    client = login(company.rep1)

    def card_badges() -> str:
        html = client.get(reverse("board-pipeline", args=[company.sales.pk])).content.decode()
        card = re.search(rf'<li class="card[^"]*"\s+id="deal-{deal.pk}".*?</li>', html, re.S)[0]
        return re.search(r'<p class="card-badges">(.*?)</p>', card, re.S)[1]

    assert "no next activity" in card_badges()
    overdue = activity_log(
        user=company.rep1,
        deal=deal,
        kind="call",
        subject="Call back",
        done=False,
        due_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert "overdue activity" in card_badges()
    client.post(reverse("activity-done", args=[overdue.pk]), {"done": "1"})
    assert "overdue activity" not in card_badges()
    assert "no next activity" in card_badges()
    activity_log(
        user=company.rep1,
        deal=deal,
        kind="meeting",
        subject="Next step",
        done=False,
        due_at=timezone.now() + datetime.timedelta(days=3),
    )
    badges = card_badges()
    assert "overdue activity" not in badges
    assert "no next activity" not in badges


def test_the_logged_event_names_the_activity(company, login):
    deal = make_deal(company.rep1, company.sales)
    _log(login(company.rep1), deal, kind="email", subject="Sent pricing")
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.ACTIVITY_LOGGED)
    assert event.data["subject"] == "Sent pricing"
    assert event.data["done"] is True


# -- "My activities" ---------------------------------------------------------------------------


def _tab(client, tab: str, **params) -> str:
    return _text(client.get(reverse("activities"), {"tab": tab, **params}))


def _plan_day(company, deal, now):
    """One activity in each section, relative to the company's today."""
    _, end_of_today = today_bounds()
    due = {
        "Overdue call": now - datetime.timedelta(hours=3),
        "Later today": now + (end_of_today - now) / 2,
        "Tomorrow early": end_of_today + datetime.timedelta(minutes=30),
    }
    for subject, due_at in due.items():
        kind = "meeting" if subject == "Later today" else "call"
        activity_log(
            user=company.rep1, deal=deal, kind=kind, subject=subject, done=False, due_at=due_at
        )
    activity_log(user=company.rep1, deal=deal, kind="note", subject="Undated task", done=False)
    activity_log(user=company.rep1, deal=deal, kind="email", subject="Already done")


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "America/Adak"])
def test_my_activities_splits_by_the_company_calendar(company, login, settings, zone):
    settings.TIME_ZONE = zone
    deal = make_deal(company.rep1, company.sales, title="Calendar deal")
    _plan_day(company, deal, timezone.now())
    client = login(company.rep1)

    overdue, today = _tab(client, "overdue"), _tab(client, "today")
    upcoming, done = _tab(client, "upcoming"), _tab(client, "done")

    assert "Overdue call" in overdue
    assert "Later today" not in overdue
    assert "Later today" in today
    assert "Tomorrow early" not in today
    assert "Tomorrow early" in upcoming
    assert "Undated task" in upcoming
    assert "Already done" in done
    assert "Already done" not in upcoming
    assert "Calendar deal" in today  # each activity links to its deal
    html = client.get(reverse("activities"), {"tab": "today"}).content.decode()
    assert f'href="{reverse("deal-detail", args=[deal.pk])}"' in html
    counts = dict(re.findall(r'data-testid="count-(\w+)">(\d+)<', html))
    assert counts == {"overdue": "1", "today": "1", "upcoming": "2", "done": "1"}


def test_my_activities_opens_on_the_first_section_with_something_in_it(company, login):
    deal = make_deal(company.rep1, company.sales)
    activity_log(
        user=company.rep1,
        deal=deal,
        kind="call",
        subject="Next week",
        done=False,
        due_at=timezone.now() + datetime.timedelta(days=7),
    )
    html = login(company.rep1).get(reverse("activities")).content.decode()
    assert re.search(r'aria-current="page"[^>]*>\s*Upcoming', html)
    assert "Next week" in html


def test_my_activities_filters_by_kind_and_by_deal_text(company, login):
    acme = make_deal(company.rep1, company.sales, title="Acme renewal")
    globex = make_deal(company.rep1, company.sales, title="Globex pilot")
    for deal in (acme, globex):
        for kind in ("call", "meeting"):
            activity_log(
                user=company.rep1,
                deal=deal,
                kind=kind,
                subject=f"{kind} about {deal.title}",
                done=False,
                due_at=timezone.now() + datetime.timedelta(days=2),
            )
    client = login(company.rep1)

    calls = _tab(client, "upcoming", kind="call")
    assert "call about Acme renewal" in calls
    assert "call about Globex pilot" in calls
    assert "meeting about" not in calls
    acme_only = _tab(client, "upcoming", q="acme")
    assert "call about Acme renewal" in acme_only
    assert "meeting about Acme renewal" in acme_only
    assert "Globex" not in acme_only


def test_my_activities_shows_only_my_own_on_deals_i_can_see(company, login):
    mine = make_deal(company.rep1, company.sales, title="Mine")
    theirs = make_deal(company.rep3, company.sales, title="South deal")
    due = timezone.now() + datetime.timedelta(days=1)
    activity_log(
        user=company.rep1, deal=mine, kind="call", subject="My call", done=False, due_at=due
    )
    activity_log(
        user=company.rep3, deal=theirs, kind="call", subject="Their call", done=False, due_at=due
    )

    page = _tab(login(company.rep1), "upcoming")

    assert "My call" in page
    assert "Their call" not in page


def test_completing_from_my_activities_refreshes_the_list(company, login):
    deal = make_deal(company.rep1, company.sales)
    activity = activity_log(
        user=company.rep1,
        deal=deal,
        kind="call",
        subject="Ring them",
        done=False,
        due_at=timezone.now() - datetime.timedelta(hours=2),
    )
    client = login(company.rep1)

    response = client.post(
        reverse("activity-done", args=[activity.pk]),
        {"done": "1"},
        HTTP_HX_TARGET="activity-list",
        HTTP_HX_CURRENT_URL="http://testserver/activities/?tab=overdue",
        **HTMX,
    )

    assert response.status_code == 200
    text = _text(response)
    assert "“Ring them” done." in text
    assert "Nothing overdue." in text
    assert Deal.objects.get(pk=deal.pk).last_activity_at is not None


def test_my_activities_costs_the_same_queries_for_few_or_many(company, login):
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)
    client.get(reverse("activities"), {"tab": "upcoming"})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("activities"), {"tab": "upcoming"})
        return len(queries)

    few = count()
    for index in range(30):
        activity_log(
            user=company.rep1,
            deal=make_deal(company.rep1, company.sales) if index % 3 else deal,
            kind="call",
            subject=f"Call {index}",
            done=False,
            due_at=timezone.now() + datetime.timedelta(days=2),
        )
    # user (the session comes from the cache), the counts per tab, the tab's rows with
    # their deals
    assert count() == few == 3
