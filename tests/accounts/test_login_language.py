"""The language choice of someone not signed in (docs/i18n.md): the login and
password-reset pages offer English, Deutsch and Nederlands; the choice is Django's
language cookie, which the first sign-in stores in the profile and the user menu's
switch keeps in step."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, speaking

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
SET_LANGUAGE = reverse("set_language")
COOKIE = settings.LANGUAGE_COOKIE_NAME


def _visitor(accept_language: str = "en") -> Client:
    return Client(REMOTE_ADDR="10.0.0.8", HTTP_ACCEPT_LANGUAGE=accept_language)


def _language(user: User) -> str:
    user.refresh_from_db(fields=["language"])
    return user.language


def _choices(page: str) -> list[tuple[str, str]]:
    """(value, lang) of each button of the language choice."""
    form = re.search(r'<form[^>]*class="auth-languages".*?</form>', page, re.S)
    assert form, "no language choice on the page"
    return re.findall(
        r'<button type="submit" name="language" value="(\w+)" lang="(\w+)"', form.group()
    )


def _names(page: str) -> list[str]:
    return re.findall(r'name="language" value="\w+" lang="\w+"[^>]*>([^<]+)</button>', page)


# -- The choice on the pages -------------------------------------------------------------


@pytest.mark.parametrize("url", [LOGIN, reverse("password_reset"), reverse("password_reset_done")])
def test_the_login_and_reset_pages_offer_the_three_languages(url):
    page = _visitor().get(url).content.decode()

    assert _choices(page) == [("en", "en"), ("de", "de"), ("nl", "nl")]
    assert f'action="{SET_LANGUAGE}"' in page
    # Each name in its own language, the current one marked.
    assert 'lang="de" class="link-button">Deutsch</button>' in page
    assert 'lang="en" class="link-button" aria-current="true">English</button>' in page


def test_a_signed_in_user_switches_in_the_user_menu_instead(company):
    client = Client()
    client.force_login(company.rep1)

    page = client.get(reverse("password_reset")).content.decode()

    assert 'class="auth-languages"' not in page


def test_choosing_deutsch_on_the_login_page_sets_the_cookie_and_the_page_is_german():
    client = _visitor("nl")  # the browser asks for Dutch: the choice wins
    client.get(LOGIN)

    response = client.post(SET_LANGUAGE, {"language": "de", "next": f"{LOGIN}?next=/board/"})

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/board/"
    assert response.cookies[COOKIE].value == "de"
    page = client.get(response.url)
    assert page["Content-Language"] == "de"
    assert '<html lang="de">' in page.content.decode()
    assert "Passwort vergessen?" in page.content.decode()
    # The names stay each in its own language ("English", not "Englisch").
    assert _names(page.content.decode()) == ["English", "Deutsch", "Nederlands"]
    assert 'lang="de" class="link-button" aria-current="true">Deutsch</button>' in (
        page.content.decode()
    )


def test_the_choice_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = client.post(SET_LANGUAGE, {"language": "de", "next": LOGIN})

    assert response.status_code == 403
    assert COOKIE not in response.cookies


def test_the_choice_never_sends_the_visitor_off_site():
    response = _visitor().post(
        SET_LANGUAGE, {"language": "nl", "next": "https://evil.example/phish"}
    )

    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[COOKIE].value == "nl"


def test_a_language_we_do_not_speak_leaves_the_pages_in_the_browsers():
    # Django's view stores any language Django itself has a catalog for (French): the
    # pages only ever use one of ours, so they follow the browser, as without a choice.
    client = _visitor("nl")
    client.post(SET_LANGUAGE, {"language": "fr", "next": LOGIN})

    response = client.get(LOGIN)

    assert response["Content-Language"] == "nl"
    assert '<html lang="nl">' in response.content.decode()


# -- The first sign-in -------------------------------------------------------------------


def test_the_first_sign_in_stores_the_cookies_language(company):
    assert company.rep1.language == ""
    client = _visitor("nl-NL,nl;q=0.9")  # the browser says Dutch, the visitor chose German
    client.post(SET_LANGUAGE, {"language": "de", "next": LOGIN})

    response = client.post(LOGIN, {"username": "rep1", "password": PASSWORD})

    assert response.status_code == 302
    assert _language(company.rep1) == "de"


def test_a_later_sign_in_keeps_the_profiles_language_over_the_cookie(company):
    speaking(company.rep1, "nl")
    client = _visitor()
    client.post(SET_LANGUAGE, {"language": "de", "next": LOGIN})

    client.post(LOGIN, {"username": "rep1", "password": PASSWORD})

    assert _language(company.rep1) == "nl"
    assert '<html lang="nl">' in client.get(reverse("profile")).content.decode()


# -- The user menu's switch and logging out ----------------------------------------------


def test_the_user_menus_switch_sets_the_cookie_too(company):
    client = Client()
    client.force_login(company.rep1)

    response = client.post(reverse("language-switch"), {"language": "de", "next": "/deals/"})

    assert response.url == "/deals/"
    assert response.cookies[COOKIE].value == "de"
    assert response.cookies[COOKIE]["path"] == settings.LANGUAGE_COOKIE_PATH
    assert _language(company.rep1) == "de"


def test_a_refused_switch_leaves_the_cookie_alone(company):
    client = Client()
    client.force_login(company.rep1)

    response = client.post(reverse("language-switch"), {"language": "fr", "next": "/deals/"})

    assert COOKIE not in response.cookies


def test_after_logging_out_the_login_page_stays_in_the_users_language(company):
    client = _visitor("en")
    client.post(LOGIN, {"username": "rep1", "password": PASSWORD})
    client.post(reverse("language-switch"), {"language": "de", "next": "/"})

    response = client.post(reverse("logout"), follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert '<html lang="de">' in page
    assert "Passwort vergessen?" in page
