"""API tokens expire, are capped and die with the password (docs/hardening/accounts-security.md).

An expiry is chosen at creation; an expired token authenticates nobody and is listed as
expired; every path that sets a new password, and deactivation, revokes all the user's
tokens; a user holds at most 20 live tokens.
"""

import re
from datetime import timedelta

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from accounts.api.tokens import api_token_create
from accounts.models import ApiToken
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
TOKENS_URL = "/api/v1/auth/tokens/"
NEW_PASSWORD = "a-new-Password-4-tests"


def _with_key(api, key):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _expire(token: ApiToken) -> None:
    """Move the token's expiry into the past, as the passing days would."""
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_an_expiry_chosen_with_the_password_is_kept_and_shown(company, api):
    before = timezone.now()
    response = api().post(
        TOKEN_URL, {"username": "rep1", "password": PASSWORD, "name": "CI", "expires_in_days": 30}
    )

    assert response.status_code == 201
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    assert response.json()["expires_at"] is not None


def test_without_an_expiry_a_token_lives_until_revoked(company, api):
    response = api().post(TOKEN_URL, {"username": "rep1", "password": PASSWORD})

    assert response.status_code == 201
    assert response.json()["expires_at"] is None
    assert ApiToken.objects.get(pk=response.json()["id"]).expires_at is None


@pytest.mark.parametrize("days", [0, 366, -1, "soon"])
def test_an_expiry_outside_one_to_365_days_is_a_field_error(company, api, days):
    response = api().post(
        TOKEN_URL, {"username": "rep1", "password": PASSWORD, "expires_in_days": days}
    )

    assert response.status_code == 400
    assert "expires_in_days" in response.json()["errors"]
    assert not ApiToken.objects.filter(user=company.rep1).exists()


def test_a_signed_in_user_creates_another_token_from_the_list(company, api):
    client = api(company.rep1)

    response = client.post(TOKENS_URL, {"name": "phone", "expires_in_days": 7})

    assert response.status_code == 201
    assert response.json()["name"] == "phone"
    assert _with_key(api, response.json()["token"]).get("/api/v1/deals/").status_code == 200
    listed = {t["name"]: t for t in client.get(TOKENS_URL).json()["results"]}
    assert listed["phone"]["expires_at"] is not None
    assert listed["phone"]["expired"] is False


def test_an_expired_token_authenticates_nobody_and_is_listed_as_expired(company, api):
    token, key = api_token_create(user=company.rep1, name="old", expires_in_days=1)
    _expire(token)

    response = _with_key(api, key).get("/api/v1/deals/")

    assert response.status_code == 401
    assert "expired" in response.json()["message"]
    listed = {t["name"]: t for t in api(company.rep1).get(TOKENS_URL).json()["results"]}
    assert listed["old"]["expired"] is True


def test_the_21st_live_token_is_refused_and_expired_ones_do_not_count(company, api):
    for n in range(19):
        api_token_create(user=company.rep1, name=f"script {n}")
    client = api(company.rep1)  # the 20th

    refused = client.post(TOKENS_URL, {"name": "one too many"})
    by_password = api().post(TOKEN_URL, {"username": "rep1", "password": PASSWORD})

    assert refused.status_code == 400
    assert "20 active API tokens" in refused.json()["message"]
    assert "Revoke one" in refused.json()["message"]
    assert by_password.status_code == 400
    assert ApiToken.objects.filter(user=company.rep1).count() == 20

    _expire(ApiToken.objects.filter(user=company.rep1, name="script 0").get())
    assert client.post(TOKENS_URL, {"name": "replacement"}).status_code == 201


def test_the_schema_offers_the_expiry_and_the_expired_flag(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]

    days = schema["TokenObtainRequest"]["properties"]["expires_in_days"]
    assert (days["minimum"], days["maximum"]) == (1, 365)
    assert "expires_in_days" in schema["TokenCreateRequest"]["properties"]
    assert {"expires_at", "expired"} <= set(schema["ApiToken"]["properties"])


@pytest.fixture
def rep1_keys(company, api):
    """Two of rep1's keys and the clients that send them."""
    keys = [api_token_create(user=company.rep1, name=name)[1] for name in ("laptop", "ci")]
    clients = [_with_key(api, key) for key in keys]
    assert all(c.get("/api/v1/deals/").status_code == 200 for c in clients)
    return clients


def _all_refused(clients) -> bool:
    return all(c.get("/api/v1/deals/").status_code == 401 for c in clients)


def test_changing_the_password_on_its_page_revokes_every_token(company, rep1_keys, client):
    client.force_login(company.rep1)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert _all_refused(rep1_keys)
    assert not ApiToken.objects.filter(user=company.rep1).exists()


def test_a_password_reset_revokes_every_token(company, rep1_keys, client, mailoutbox):
    client.post("/accounts/password_reset/", {"email": "rep1@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link).url

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert _all_refused(rep1_keys)


def test_a_password_set_in_django_admin_revokes_every_token(company, rep1_keys, admin_client):
    response = admin_client.post(
        f"/django-admin/accounts/user/{company.rep1.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert _all_refused(rep1_keys)


def test_a_failed_password_change_keeps_the_tokens(company, rep1_keys, client):
    client.force_login(company.rep1)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert ApiToken.objects.filter(user=company.rep1).count() == 2


def test_deactivation_revokes_every_token_for_good(company, rep1_keys, admin_client):
    response = admin_client.post(
        f"/admin/users/{company.rep1.pk}/deactivate/",
        {"deals_to": company.rep2.pk, "activities_to": company.rep2.pk},
    )
    assert response.status_code == 302

    assert admin_client.post(f"/admin/users/{company.rep1.pk}/reactivate/").status_code == 302

    assert _all_refused(rep1_keys)
    assert not ApiToken.objects.filter(user=company.rep1).exists()


def test_signing_in_does_not_revoke_tokens(company, rep1_keys):
    assert (
        Client().post("/accounts/login/", {"username": "rep1", "password": PASSWORD}).status_code
        == 302
    )

    assert all(c.get("/api/v1/deals/").status_code == 200 for c in rep1_keys)
