"""The API move answers from the deal as the move left it, without reading it again
(docs/performance/move-request.md); the answer is the one a fresh read gives. Token
authentication reads the token and records its use in one statement; the use is recorded
as before: on the first use, then at most once a minute, never for a refused token."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.api.tokens import api_token_create
from accounts.models import ApiToken
from deals.models import Deal
from tests import factories


@pytest.fixture
def column(company):
    """Five deals of rep1 and rep2 in Sales' second stage; the first is worth 1234.57 with
    a probability override of 33, so that the figures have cents to round."""
    stage = company.stages[1]
    deals = [
        factories.make_deal(company.rep1 if n % 2 == 0 else company.rep2, company.sales, stage)
        for n in range(5)
    ]
    Deal.objects.filter(pk=deals[0].pk).update(value=Decimal("1234.57"), probability_override=33)
    return list(Deal.objects.filter(stage=stage).order_by("position"))


def _moved_then_read(client, deal, body):
    moved = client.post(f"/api/v1/deals/{deal.pk}/move/", body, format="json")
    assert moved.status_code == 200, moved.content
    read = client.get(f"/api/v1/deals/{deal.pk}/")
    return moved.json(), read.json()


@pytest.mark.parametrize("who", ["manager", "rep1", "admin"])
def test_a_reorders_answer_is_the_deal_as_read_afterwards(api, company, column, who):
    deal = next(d for d in column if d.owner == company.rep1 and d.probability_override)
    body = {"stage": deal.stage_id, "version": deal.version, "position": 3}

    moved, read = _moved_then_read(api(getattr(company, who)), deal, body)

    assert moved == read
    assert (moved["position"], moved["version"]) == (3, deal.version + 1)
    assert (moved["probability"], moved["weighted_value"]) == (33, "407.41")


@pytest.mark.parametrize("override", [None, 33])
def test_a_move_between_stages_answers_the_new_stages_figures(api, company, column, override):
    deal = column[0]
    Deal.objects.filter(pk=deal.pk).update(probability_override=override)
    target = company.stages[0]  # backward: no checklist needed
    body = {"stage": target.pk, "version": deal.version}

    moved, read = _moved_then_read(api(company.manager), deal, body)

    assert moved == read
    assert moved["stage"] == target.pk
    assert moved["probability"] == (override if override is not None else target.probability)


def test_the_checklist_progress_is_the_new_stages(api, company, column):
    deal = column[0]
    factories.make_item(company.stages[0], text="Budget confirmed")
    factories.make_item(company.stages[0], text="Decision maker known")

    moved, read = _moved_then_read(
        api(company.rep1), deal, {"stage": company.stages[0].pk, "version": deal.version}
    )

    assert moved["checklist"] == read["checklist"] == {"done": 0, "required": 2}


def test_a_teammate_who_may_only_see_the_deal_is_refused_before_the_body(api, company, column):
    theirs = next(d for d in column if d.owner == company.rep2)

    response = api(company.rep1).post(f"/api/v1/deals/{theirs.pk}/move/", {}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def _use(api, key):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/users/")


def test_a_tokens_use_is_recorded_at_most_once_a_minute(api, company):
    token, key = api_token_create(user=company.rep1, name="script")
    assert _use(api, key).status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None

    assert _use(api, key).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first

    earlier = first - datetime.timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    assert _use(api, key).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_a_refused_token_is_not_recorded_as_used(api, company):
    expired, expired_key = api_token_create(user=company.rep1, name="old")
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    inactive, inactive_key = api_token_create(user=company.rep2, name="gone")
    # Deactivating through the model alone, so that the token is still there to try.
    type(company.rep2).objects.filter(pk=company.rep2.pk).update(is_active=False)

    assert _use(api, expired_key).status_code == 401
    assert _use(api, inactive_key).status_code == 401
    assert _use(api, "not-a-key").status_code == 401

    assert ApiToken.objects.get(pk=expired.pk).last_used_at is None
    assert ApiToken.objects.get(pk=inactive.pk).last_used_at is None


def test_the_token_authenticates_its_user_with_every_field(api, company):
    _, key = api_token_create(user=company.manager, name="script")

    response = _use(api, key)

    assert response.status_code == 200
    me = next(u for u in response.json()["results"] if u["id"] == company.manager.pk)
    assert me["username"] == "manager"
