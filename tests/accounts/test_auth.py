"""Signing in and out, the login rate limit and password changes (docs/domain/api.md).

Logins go through the real form: django-axes needs the request that ``LoginView`` passes to
``authenticate()``, and its failure counts live in the database, so each test starts clean.
"""

import re

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
NEW_PASSWORD = "a-brand-new-passphrase-42"


def _sign_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def _is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_asks_for_username_and_password(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input[^>]+name="username"', html)
    assert re.search(r'<input[^>]+name="password"[^>]+type="password"', html)
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html


def test_rep_signs_in_and_lands_on_their_home(client, company):
    """Reps land on their own home
    (docs/domain/stalls-and-forecast.md), which links to the board."""
    response = _sign_in(client, "rep1", follow=True)

    assert response.status_code == 200
    urls = [url for url, _status in response.redirect_chain]
    assert urls[0] == reverse("home")
    assert urls[-1] == reverse("rep-home")
    assert f'href="{reverse("board")}"' in response.content.decode()
    assert int(client.session["_auth_user_id"]) == company.rep1.pk
    assert "Rep1 Test" in response.content.decode()


def test_sign_in_returns_to_the_page_asked_for(client, company):
    board = reverse("board-pipeline", args=[company.sales.pk])

    response = client.post(
        f"{LOGIN_URL}?next={board}", {"username": "rep1", "password": PASSWORD, "next": board}
    )

    assert response.status_code == 302
    assert response.url == board


def test_wrong_password_shows_an_error_and_does_not_sign_in(client, company):
    response = _sign_in(client, "rep1", "not-my-password")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not _is_signed_in(client)


def test_sixth_attempt_after_five_failures_is_locked_out_even_with_the_right_password(
    client, company
):
    for _ in range(5):
        _sign_in(client, "rep1", "guess")

    response = _sign_in(client, "rep1", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not _is_signed_in(client)


def test_four_failures_still_allow_the_right_password(client, company):
    for _ in range(4):
        _sign_in(client, "rep1", "guess")

    response = _sign_in(client, "rep1", PASSWORD)

    assert response.status_code == 302
    assert _is_signed_in(client)


def test_lockout_of_one_username_leaves_others_signing_in(client, company):
    for _ in range(5):
        _sign_in(client, "rep1", "guess")

    response = _sign_in(client, "rep2", PASSWORD)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == company.rep2.pk


def test_logout_needs_a_post(client, company):
    client.force_login(company.rep1)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert _is_signed_in(client)


def test_logout_ends_the_session(client, company):
    client.force_login(company.rep1)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert not _is_signed_in(client)
    assert client.get(reverse("board")).url.startswith(LOGIN_URL)


@pytest.mark.parametrize("url_name", ["home", "board"])
def test_anonymous_visitor_is_sent_to_login(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={url}"


def test_anonymous_visitor_of_a_pipeline_board_is_sent_to_login(client, company):
    url = reverse("board-pipeline", args=[company.sales.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={url}"


def test_password_change_replaces_the_old_password(client, company):
    _sign_in(client, "rep1")

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    assert _is_signed_in(client), "changing the password keeps the current session"
    client.post(reverse("logout"))
    assert _sign_in(client, "rep1", PASSWORD).status_code == 200
    assert _sign_in(client, "rep1", NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_old_password(client, company):
    _sign_in(client, "rep1")

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    company.rep1.refresh_from_db()
    assert company.rep1.check_password(PASSWORD)


def test_password_reset_emails_a_link_that_sets_a_new_password(client, company, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "rep1@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["rep1@example.com"]
    link = re.search(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", mailoutbox[0].body)
    assert link, mailoutbox[0].body

    # Django swaps the token for a session entry and redirects to the form.
    form_url = client.get(link[1]).url
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")
    assert _sign_in(client, "rep1", NEW_PASSWORD).status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(
    client, company, mailoutbox
):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []
