"""Password reset requests: limited per client address and per email address, and the
same answer whether an account uses the address or not (docs/hardening/accounts-security.md)."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

RESET_URL = "/accounts/password_reset/"
LIMITED = 429


def _ask(client: Client, email: str):
    return client.post(RESET_URL, {"email": email})


def _from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


@pytest.mark.parametrize("email", ["rep1@example.com", "nobody@example.com"])
def test_known_and_unknown_addresses_get_the_same_answer(company, mailoutbox, email):
    response = _ask(_from("198.51.100.1"), email)

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    done = _from("198.51.100.1").get(response.url)
    assert "If an account uses that address" in done.text
    assert [m.to for m in mailoutbox] == ([[email]] if email.startswith("rep1") else [])


@override_settings(PASSWORD_RESET_LIMIT_PER_ACCOUNT=3, PASSWORD_RESET_LIMIT_PER_ADDRESS=100)
@pytest.mark.parametrize("email", ["rep1@example.com", "nobody@example.com"])
def test_an_account_gets_three_links_an_hour_from_anywhere(company, mailoutbox, email):
    answers = [_ask(_from(f"198.51.100.{n}"), email).status_code for n in range(1, 5)]
    refused = _ask(_from("198.51.100.9"), email.upper())

    # The same for an address with an account and one without: nothing to learn.
    assert answers == [302, 302, 302, LIMITED]
    assert refused.status_code == LIMITED
    assert "Too many reset requests" in refused.text
    assert "try again in 60 minutes" in refused.text
    assert len(mailoutbox) == (3 if email.startswith("rep1") else 0)


@override_settings(PASSWORD_RESET_LIMIT_PER_ADDRESS=5, PASSWORD_RESET_LIMIT_PER_ACCOUNT=100)
def test_one_client_address_gets_five_requests_an_hour(company, mailoutbox):
    sprayer = _from("203.0.113.5")

    answers = [_ask(sprayer, f"guess{n}@example.com").status_code for n in range(5)]
    refused = _ask(sprayer, "rep1@example.com")
    elsewhere = _ask(_from("198.51.100.1"), "rep1@example.com")

    assert answers == [302] * 5
    assert refused.status_code == LIMITED
    assert elsewhere.status_code == 302
    assert [m.to for m in mailoutbox] == [["rep1@example.com"]]


@override_settings(PASSWORD_RESET_LIMIT_PER_ACCOUNT=1, PASSWORD_RESET_WINDOW_MINUTES=0)
def test_the_count_starts_again_after_the_window(company, mailoutbox):
    """A window of 0 minutes ends at once: a limit never outlives its window."""
    answers = [_ask(_from("198.51.100.1"), "rep1@example.com").status_code for _ in range(3)]

    assert answers == [302, 302, 302]


@override_settings(PASSWORD_RESET_LIMIT_PER_ADDRESS=1)
def test_a_malformed_address_is_a_form_error_and_uses_up_nothing(company, mailoutbox):
    client = _from("198.51.100.1")

    response = _ask(client, "not an address")
    then = _ask(client, "rep1@example.com")

    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert then.status_code == 302
    assert len(mailoutbox) == 1
