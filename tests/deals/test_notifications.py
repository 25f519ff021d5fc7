"""Notifications pages (docs/domain/deals.md): the bell, the list, marking read.

Notifications belong to their recipient alone: another user's answers 404.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deals.models import Notification
from tests.factories import make_deal
from tests.helpers import assert_no_inline_script

pytestmark = pytest.mark.django_db


def notify(user, text: str = "Something happened", deal=None, *, ago_minutes: int = 0):
    notification = Notification.objects.create(recipient=user, kind="stalled", text=text, deal=deal)
    created = timezone.now() - datetime.timedelta(minutes=ago_minutes)
    Notification.objects.filter(pk=notification.pk).update(created_at=created)
    return notification


def is_read(notification: Notification) -> bool:
    return Notification.objects.get(pk=notification.pk).is_read


# --- the bell --------------------------------------------------------------------------


def test_bell_counts_my_unread_notifications_in_one_query(
    company, login, django_assert_num_queries
):
    notify(company.rep1)
    notify(company.rep1)
    Notification.objects.filter(pk=notify(company.rep1).pk).update(is_read=True)
    notify(company.rep2)
    client = login(company.rep1)

    # user (the session comes from the cache); COUNT of unread notifications
    with django_assert_num_queries(2):
        response = client.get(reverse("notification-bell"))

    assert response.status_code == 200
    assert 'aria-label="Notifications, 2 unread"' in response.text
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_bell_without_unread_shows_no_count(company, login):
    response = login(company.rep1).get(reverse("notification-bell"))

    assert 'aria-label="Notifications"' in response.text
    assert "bell-count" not in response.text


def test_bell_polled_after_the_session_ended_leaves_the_bell_alone(client):
    response = client.get(reverse("notification-bell"))

    assert response.status_code == 204


def test_every_page_polls_the_bell(company, login):
    response = login(company.rep1).get(reverse("notifications"))

    assert f'hx-get="{reverse("notification-bell")}"' in response.text
    assert 'hx-trigger="load, every 30s' in response.text
    assert_no_inline_script(response)


# --- the list --------------------------------------------------------------------------


def test_list_shows_my_notifications_newest_first_with_a_link_to_the_deal(company, login):
    deal = make_deal(company.rep1, company.sales, title="Acme rollout")
    notify(company.rep1, "Older news", ago_minutes=10)
    notify(company.rep1, "Acme rollout has stalled", deal=deal, ago_minutes=1)
    notify(company.rep2, "Not for rep1")

    response = login(company.rep1).get(reverse("notifications"))

    text = response.text
    assert response.status_code == 200
    assert text.index("Acme rollout has stalled") < text.index("Older news")
    assert "Not for rep1" not in text
    assert f'href="{reverse("deal-detail", args=[deal.pk])}"' in text
    assert "Mark all as read (2)" in text


def test_list_is_paged(company, login):
    for i in range(26):
        notify(company.rep1, f"Notice number {i:02d}", ago_minutes=i)
    client = login(company.rep1)

    first = client.get(reverse("notifications"))
    second = client.get(reverse("notifications"), {"page": 2})

    assert "Notice number 00" in first.text
    assert "Notice number 25" not in first.text
    assert "Page 1 of 2" in first.text
    assert "Notice number 25" in second.text
    assert "Notice number 00" not in second.text


def test_list_needs_a_login(client):
    response = client.get(reverse("notifications"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_empty_list_says_what_will_appear(company, login):
    response = login(company.rep1).get(reverse("notifications"))

    assert "No notifications yet" in response.text
    assert "Mark all as read" not in response.text


# --- marking read ----------------------------------------------------------------------


def test_mark_one_read(company, login):
    mine, other = notify(company.rep1), notify(company.rep1)

    response = login(company.rep1).post(reverse("notification-read", args=[mine.pk]), {"page": "2"})

    assert response.status_code == 302
    assert response.url == reverse("notifications") + "?page=2"
    assert is_read(mine)
    assert not is_read(other)


def test_mark_one_read_over_htmx_answers_the_item_and_refreshes_the_bell(company, login):
    mine = notify(company.rep1, "Acme has stalled")

    response = login(company.rep1).post(
        reverse("notification-read", args=[mine.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert f'id="notification-{mine.pk}"' in response.text
    assert "Mark as read" not in response.text
    assert "notifications-changed" in response.headers["HX-Trigger"]
    assert is_read(mine)


def test_someone_elses_notification_is_not_found(company, login):
    theirs = notify(company.rep2)

    response = login(company.rep1).post(reverse("notification-read", args=[theirs.pk]))

    assert response.status_code == 404
    assert not is_read(theirs)


def test_mark_all_read_marks_only_mine(company, login):
    mine = [notify(company.rep1), notify(company.rep1)]
    theirs = notify(company.rep2)

    response = login(company.rep1).post(reverse("notifications-read-all"))

    assert response.status_code == 302
    assert all(is_read(n) for n in mine)
    assert not is_read(theirs)


def test_marking_read_needs_post_and_a_csrf_token(company):
    mine = notify(company.rep1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(company.rep1)

    assert client.get(reverse("notification-read", args=[mine.pk])).status_code == 405
    assert client.post(reverse("notification-read", args=[mine.pk])).status_code == 403
    assert client.post(reverse("notifications-read-all")).status_code == 403
    assert not is_read(mine)
