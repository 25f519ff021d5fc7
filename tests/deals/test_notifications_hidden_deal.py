"""Notifications and reminders about a deal the recipient can no longer see show no title
(docs/hardening/gate-activities.md): not on the notifications page, not in the bell, not in
the API, not in a reminder's email; while the deal is visible, everything shows as before."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from deals.models import HIDDEN_DEAL_NOTICE, Notification
from deals.services.activities import activity_log
from deals.services.editing import deal_reassign
from deals.services.notifications import NotificationKind
from forecasting.services.reminders import activities_remind
from tests.factories import make_deal

TITLE = "Acme secret merger"


@pytest.fixture
def deal_title():
    return TITLE


@pytest.fixture
def stalled_notice(company, deal):
    return Notification.objects.create(
        recipient=company.rep1,
        kind=NotificationKind.STALLED,
        deal=deal,
        text=f"“{TITLE}” has stalled.",
    )


def _give_away(company, deal):
    """To rep3, of another team: rep1 no longer sees the deal."""
    deal_reassign(user=company.admin, deal=deal, new_owner=company.rep3, version=None)


def test_the_page_shows_the_title_while_the_deal_is_visible(company, login, stalled_notice):
    page = login(company.rep1).get(reverse("notifications")).content.decode()

    assert TITLE in page
    assert reverse("deal-detail", args=[stalled_notice.deal_id]) in page


def test_the_page_hides_title_and_link_once_the_deal_is_out_of_sight(
    company, login, deal, stalled_notice
):
    _give_away(company, deal)

    page = login(company.rep1).get(reverse("notifications")).content.decode()

    assert TITLE not in page
    assert HIDDEN_DEAL_NOTICE in page
    assert reverse("deal-detail", args=[deal.pk]) not in page


def test_marking_it_read_answers_without_the_title(company, login, deal, stalled_notice):
    _give_away(company, deal)

    response = login(company.rep1).post(
        reverse("notification-read", args=[stalled_notice.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert TITLE not in response.content.decode()
    assert HIDDEN_DEAL_NOTICE in response.content.decode()


def test_the_bell_counts_it_without_naming_it(company, login, deal, stalled_notice):
    _give_away(company, deal)

    bell = login(company.rep1).get(reverse("notification-bell")).content.decode()

    assert "1 unread" in bell
    assert TITLE not in bell


def test_the_api_hides_title_and_deal_id(company, deal, stalled_notice, api):
    client = api(company.rep1)
    before = client.get("/api/v1/notifications/").json()["results"]
    _give_away(company, deal)

    listed = client.get("/api/v1/notifications/").json()["results"]
    one = client.get(f"/api/v1/notifications/{stalled_notice.pk}/").json()
    patched = client.patch(f"/api/v1/notifications/{stalled_notice.pk}/", {"is_read": True})

    assert (before[0]["deal"], before[0]["text"]) == (deal.pk, f"“{TITLE}” has stalled.")
    for body in (listed[0], one, patched.json()):
        assert (body["deal"], body["text"]) == (None, HIDDEN_DEAL_NOTICE)


def test_a_reminder_to_an_owner_who_lost_sight_of_the_deal_names_neither_deal_nor_subject(
    company, deal, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_NOTIFICATIONS = True
    now = timezone.now()
    activity_log(
        user=company.rep1,
        deal=deal,
        kind="call",
        subject="Merger call",
        done=False,
        due_at=now + datetime.timedelta(minutes=10),
    )
    _give_away(company, deal)

    with django_capture_on_commit_callbacks(execute=True):
        run = activities_remind(now=now)

    assert run.due_soon == 1
    notice = Notification.objects.get(kind=NotificationKind.ACTIVITY_DUE)
    assert notice.recipient == company.rep1
    assert TITLE not in notice.text
    assert "Merger call" not in notice.text
    assert "on a deal you can no longer see" in notice.text
    (email,) = mail.outbox
    assert TITLE not in email.body
    assert "Merger call" not in email.body


def test_a_reminder_on_a_visible_deal_still_names_it(company, deal):
    now = timezone.now()
    activity_log(
        user=company.rep2,
        deal=make_deal(company.rep2, company.sales, title="Teammate deal"),
        kind="call",
        subject="Intro",
        done=False,
        due_at=now + datetime.timedelta(minutes=10),
    )
    activity_log(
        user=company.rep1,
        deal=deal,
        kind="call",
        subject="Merger call",
        done=False,
        due_at=now + datetime.timedelta(minutes=10),
    )

    activities_remind(now=now)

    texts = set(Notification.objects.values_list("text", flat=True))
    assert any("“Merger call” on “Acme secret merger”" in text for text in texts)
    assert any("“Intro” on “Teammate deal”" in text for text in texts)
