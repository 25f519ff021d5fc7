"""The user's language (docs/i18n.md): taken from the browser at the first sign-in, chosen
on the profile page or in the user menu, used by pages, the JavaScript catalog and emails."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, speaking

pytestmark = pytest.mark.django_db


SWITCH = reverse("language-switch")


def _sign_in(username: str, accept_language: str) -> Client:
    client = Client(REMOTE_ADDR="10.0.0.7", HTTP_ACCEPT_LANGUAGE=accept_language)
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _language(user: User) -> str:
    user.refresh_from_db(fields=["language"])
    return user.language


# -- The first sign-in -------------------------------------------------------------------


def test_the_first_sign_in_stores_the_browsers_language(company):
    assert company.rep1.language == ""

    _sign_in("rep1", "nl-NL,nl;q=0.9,en;q=0.5")

    assert _language(company.rep1) == "nl"


def test_a_browser_language_we_do_not_speak_stores_the_companys(company, settings):
    _sign_in("rep1", "fr-FR,fr;q=0.9")

    assert _language(company.rep1) == settings.LANGUAGE_CODE


def test_a_later_sign_in_keeps_the_chosen_language(company):
    speaking(company.rep1, "de")

    _sign_in("rep1", "nl")

    assert _language(company.rep1) == "de"


# -- Pages in the user's language --------------------------------------------------------


def test_a_german_profile_makes_pages_german(company):
    speaking(company.rep1, "de")
    client = Client()
    client.force_login(company.rep1)

    # The browser asks for Dutch: the profile wins.
    response = client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="nl")

    page = response.content.decode()
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in page
    assert "Abmelden" in page  # "Log out" in the user menu
    assert "Ihr Profil" in page
    assert reverse("javascript-catalog", args=["de"]) in page


def test_without_a_chosen_language_pages_follow_the_browser(company):
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")

    response = client.get(reverse("login"))

    assert response["Content-Language"] == "nl"
    assert '<html lang="nl">' in response.content.decode()
    assert "Wachtwoord vergeten?" in response.content.decode()


def test_the_profile_page_saves_the_language(company):
    client = Client()
    client.force_login(company.rep1)

    response = client.post(reverse("profile"), {"language": "nl"}, follow=True)

    assert _language(company.rep1) == "nl"
    assert "Je taal is opgeslagen." in response.content.decode()


# -- The user menu's switch --------------------------------------------------------------


def test_the_switch_saves_the_language_and_goes_back(company):
    client = Client()
    client.force_login(company.rep1)

    response = client.post(SWITCH, {"language": "de", "next": "/deals/?stage=3"})

    assert response.status_code == 302
    assert response.url == "/deals/?stage=3"
    assert _language(company.rep1) == "de"
    assert '<html lang="de">' in client.get(reverse("profile")).content.decode()


def test_the_switch_refuses_an_unknown_language(company):
    speaking(company.rep1, "en")
    client = Client()
    client.force_login(company.rep1)

    response = client.post(SWITCH, {"language": "fr", "next": "/deals/"})

    assert response.url == "/deals/"
    assert _language(company.rep1) == "en"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Choose English, Deutsch or Nederlands."
    ]


def test_the_switch_never_sends_the_user_off_site(company):
    client = Client()
    client.force_login(company.rep1)

    response = client.post(SWITCH, {"language": "nl", "next": "https://evil.example/phish"})

    assert response.url == "/"
    assert _language(company.rep1) == "nl"


def test_the_switch_needs_a_signed_in_user(company):
    response = Client().post(SWITCH, {"language": "de", "next": "/"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# -- The JavaScript catalog --------------------------------------------------------------


@pytest.mark.parametrize(("language", "today"), [("de", "Heute"), ("nl", "Vandaag")])
def test_the_javascript_catalog_answers_in_the_language_of_its_url(client, language, today):
    # Whatever the browser says: the URL names the language (one cached copy per language).
    response = client.get(reverse("javascript-catalog", args=[language]), HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    assert today in body  # Django's own "Today", from the catalog of its admin
    assert "max-age=3600" in response["Cache-Control"]


def test_the_javascript_catalog_serves_only_our_languages(client):
    assert client.get("/jsi18n/fr/").status_code == 404


# -- Emails in the recipient's language --------------------------------------------------


def test_the_invitation_is_written_in_the_invitees_language(
    admin_client, company, mailoutbox, django_capture_on_commit_callbacks
):
    # The admin works in English; the new colleague reads German.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("crm_admin:user-create"),
            {
                "username": "greta",
                "first_name": "Greta",
                "email": "greta@example.com",
                "role": "rep",
                "language": "de",
                "access": "invite",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert User.objects.get(username="greta").language == "de"
    [mail] = mailoutbox
    assert mail.subject == "Ihre Einladung zu PipelineCRM"
    assert mail.body.startswith("Hallo Greta,")
    assert "Ihr Benutzername lautet: greta" in mail.body
    assert "/accounts/reset/" in mail.body


def test_a_resent_invitation_uses_the_users_language(
    admin_client, company, mailoutbox, django_capture_on_commit_callbacks
):
    speaking(company.rep2, "nl")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("crm_admin:user-invite", args=[company.rep2.pk]))

    [mail] = mailoutbox
    assert mail.subject == "Je bent uitgenodigd voor PipelineCRM"
    assert "Kies hier je wachtwoord" in mail.body


def test_the_password_reset_email_is_in_the_account_owners_language(company, mailoutbox):
    speaking(company.rep1, "nl")
    # Asked for from an English browser: the email still speaks the owner's Dutch.
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(reverse("password_reset"), {"email": "rep1@example.com"})

    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.subject.startswith("Wachtwoordherinitialisatie voor")  # Django's own Dutch
    assert "kies een nieuw wachtwoord" in mail.body
