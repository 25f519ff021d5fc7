"""Sessions live in the cache, written through to the database (docs/performance/move-request.md):
what a session guards must hold as it did when every request read the database."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import user_deactivate
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _signed_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _is_signed_in(client: Client) -> bool:
    response = client.get(reverse("board"))
    return response.status_code != 302 or not response.url.startswith("/accounts/login/")


def test_a_signed_in_request_reads_its_session_from_the_cache(company):
    client = _signed_in("rep1")

    with CaptureQueriesContext(connection) as queries:
        assert _is_signed_in(client)

    assert not [q for q in queries if Session._meta.db_table in q["sql"]]
    assert Session.objects.filter(session_key=client.session.session_key).exists()


def test_a_password_change_signs_out_the_other_sessions(company):
    laptop, phone = _signed_in("rep1"), _signed_in("rep1")
    assert _is_signed_in(phone)

    response = laptop.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert _is_signed_in(laptop), "the session that changed the password stays"
    assert not _is_signed_in(phone)


def test_a_deactivated_users_sessions_end(company):
    client = _signed_in("rep1")
    assert _is_signed_in(client)

    user_deactivate(actor=company.admin, user=company.rep1)

    assert not _is_signed_in(client)


def test_signing_out_ends_the_cached_session(company):
    client = _signed_in("rep1")
    stolen_cookie = client.cookies["sessionid"].value

    client.post(reverse("logout"))

    replay = Client()
    replay.cookies["sessionid"] = stolen_cookie
    assert not _is_signed_in(replay)
