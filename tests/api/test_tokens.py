"""API tokens (docs/domain/api.md): obtained with a password, stored hashed, shown once,
listed and revoked by their owner alone; the token endpoint is rate limited."""

import hashlib

import pytest
from django.test import Client, override_settings

from accounts.api.tokens import api_token_create
from accounts.models import ApiToken
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
TOKENS_URL = "/api/v1/auth/tokens/"


def _obtain(client, username, password=PASSWORD, **extra):
    return client.post(TOKEN_URL, {"username": username, "password": password, **extra})


def test_password_buys_a_named_token_shown_once_and_stored_hashed(company, api):
    response = _obtain(api(), "rep1", name="Zapier")

    assert response.status_code == 201
    key = response.json()["token"]
    token = ApiToken.objects.get(user=company.rep1)
    assert token.name == "Zapier"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert key not in {token.key_hash, token.prefix}


def test_the_key_authenticates_and_the_list_never_shows_it(company, api):
    key = _obtain(api(), "rep1", name="laptop").json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get(TOKENS_URL)

    assert response.status_code == 200
    [listed] = response.json()["results"]
    assert set(listed) == {
        "id",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "expired",
    }
    assert listed["name"] == "laptop"
    assert listed["last_used_at"] is not None
    assert key not in response.content.decode()


@pytest.mark.parametrize(
    ("username", "password"), [("rep1", "wrong-password"), ("nobody", PASSWORD)]
)
def test_wrong_credentials_get_no_token(company, api, username, password):
    response = _obtain(api(), username, password)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_a_deactivated_user_gets_no_token_and_their_tokens_stop_working(company, api):
    client = api(company.rep1)
    company.rep1.is_active = False
    company.rep1.save()

    assert _obtain(api(), "rep1").status_code == 400
    assert client.get("/api/v1/deals/").status_code == 401


def test_no_credentials_answer_401_and_say_how_to_authenticate(company, api):
    response = api().get("/api/v1/deals/")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Token not-a-real-key", "Token", "Token a b"])
def test_a_bad_token_answers_401(company, api, header):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/deals/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_revoked_token_stops_working(company, api):
    token, key = api_token_create(user=company.rep1, name="old")
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get("/api/v1/deals/").status_code == 200

    assert api(company.rep1).delete(f"{TOKENS_URL}{token.pk}/").status_code == 204
    assert client.get("/api/v1/deals/").status_code == 401
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_tokens_belong_to_their_owner_alone(company, api):
    others, _ = api_token_create(user=company.rep2, name="rep2's")
    client = api(company.rep1)

    listed = client.get(TOKENS_URL).json()["results"]

    assert others.pk not in {t["id"] for t in listed}
    assert client.delete(f"{TOKENS_URL}{others.pk}/").status_code == 404
    assert api(company.admin).delete(f"{TOKENS_URL}{others.pk}/").status_code == 404
    assert ApiToken.objects.filter(pk=others.pk).exists()


def test_the_token_endpoint_allows_five_attempts_a_minute(company, api):
    client = api()

    answers = [_obtain(client, "rep1").status_code for _ in range(6)]

    assert answers == [201] * 5 + [429]
    assert ApiToken.objects.filter(user=company.rep1).count() == 5


def test_failed_attempts_count_towards_the_login_lockout(company, api):
    """django-axes counts API failures like login-page failures (5 per user and address)."""
    client = api()

    answers = [_obtain(client, "rep1", "wrong").status_code for _ in range(5)]

    assert answers == [400] * 4 + [429]
    locked = Client().post("/accounts/login/", {"username": "rep1", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in locked.client.session


def test_session_writes_need_the_csrf_token(company):
    """Signed-in browsers use the API with their session; a cross-site form cannot."""
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    csrf = client.cookies["csrftoken"].value
    client.force_login(company.rep1)
    body = {"name": "Acme"}

    refused = client.post("/api/v1/organizations/", body, content_type="application/json")
    accepted = client.post(
        "/api/v1/organizations/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    assert accepted.status_code == 201


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
)
def test_tokens_are_still_issued_when_redis_is_down(company, api):
    """The rate limit lives in Redis; without it the endpoint works and axes still counts."""
    response = _obtain(api(), "rep1")

    assert response.status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        "pipelines/",
        "stages/",
        "checklist-items/",
        "deals/",
        "organizations/",
        "people/",
        "activities/",
        "users/",
        "teams/",
        "quotas/",
        "notifications/",
        "lost-reasons/",
        "auth/tokens/",
        "forecast/",
        "board/1/",
    ],
)
def test_nothing_is_readable_without_credentials(company, api, path):
    response = api().get(f"/api/v1/{path}")

    assert response.status_code == 401
