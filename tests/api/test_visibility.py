"""Who sees and changes what through the API
(docs/domain/roles-and-visibility.md), persona by persona.

North: manager manages rep1 and rep2; South: manager2 manages rep3. "Sales" has team
visibility, "Renewals" owner visibility. Invisible answers 404, visible but read-only 403.
"""

import datetime

import pytest

from accounts.api.tokens import api_token_create
from deals.models import Notification
from deals.services.activities import activity_log
from forecasting.models import Quota
from pipelines.models import ActivityKind
from tests import factories

VIEWERS = ["rep1", "manager", "admin", "rep3"]
OWNERS = ["rep1", "rep2", "manager", "rep3"]
PIPELINES = ["team", "owner"]

# (viewer, deal owner, pipeline visibility) → can see, can change.
SEES = {
    "rep1": {("rep1", "team"), ("rep1", "owner"), ("rep2", "team"), ("manager", "team")},
    "manager": {(o, p) for o in ("rep1", "rep2", "manager") for p in PIPELINES},
    "admin": {(o, p) for o in OWNERS for p in PIPELINES},
    "rep3": {("rep3", "team"), ("rep3", "owner")},
}
CHANGES = {
    "rep1": {("rep1", "team"), ("rep1", "owner")},
    "manager": SEES["manager"],
    "admin": SEES["admin"],
    "rep3": SEES["rep3"],
}
CASES = [(v, o, p) for v in VIEWERS for o in OWNERS for p in PIPELINES]


@pytest.fixture
def world(company):
    """A deal (with an activity) per owner and pipeline."""
    pipelines = {"team": company.sales, "owner": company.private}
    deals = {}
    for owner in OWNERS:
        for kind, pipeline in pipelines.items():
            user = getattr(company, owner)
            deal = factories.make_deal(user, pipeline, title=f"{owner}-{kind}")
            activity_log(user=user, deal=deal, kind=ActivityKind.CALL, subject="Call")
            deals[(owner, kind)] = deal
    return deals


def _expected(viewer, owner, pipeline) -> int:
    if (owner, pipeline) in CHANGES[viewer]:
        return 200
    return 403 if (owner, pipeline) in SEES[viewer] else 404


@pytest.mark.parametrize(("viewer", "owner", "pipeline"), CASES)
def test_a_deal_and_what_hangs_off_it(api, company, world, viewer, owner, pipeline):
    deal = world[(owner, pipeline)]
    activity = deal.activities.get()
    client = api(getattr(company, viewer))
    read = 200 if (owner, pipeline) in SEES[viewer] else 404

    assert client.get(f"/api/v1/deals/{deal.pk}/").status_code == read
    assert client.get(f"/api/v1/deals/{deal.pk}/events/").status_code == read
    assert client.get(f"/api/v1/activities/{activity.pk}/").status_code == read
    edit = client.patch(f"/api/v1/deals/{deal.pk}/", {"version": deal.version, "title": "New"})
    assert edit.status_code == _expected(viewer, owner, pipeline)
    undo = client.patch(f"/api/v1/activities/{activity.pk}/", {"done": False})
    assert undo.status_code == _expected(viewer, owner, pipeline)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_lists_hold_exactly_the_visible_deals(api, company, world, viewer):
    client = api(getattr(company, viewer))
    expected = {world[key].pk for key in SEES[viewer]}

    deals = client.get("/api/v1/deals/", {"page_size": 100}).json()["results"]
    activities = client.get("/api/v1/activities/", {"page_size": 100}).json()["results"]

    assert {d["id"] for d in deals} == expected
    assert {a["deal"] for a in activities} == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_board_shows_only_visible_cards(api, company, world, viewer):
    client = api(getattr(company, viewer))
    expected = {world[key].pk for key in SEES[viewer] if key[1] == "team"}

    board = client.get(f"/api/v1/board/{company.sales.pk}/").json()

    cards = {card["id"] for column in board["columns"] for card in column["cards"]}
    assert cards == expected
    assert board["columns"][0]["count"] == len(expected)


def test_activities_cannot_be_logged_on_deals_one_cannot_change(api, company, world):
    client = api(company.rep1)
    body = {"kind": "call", "subject": "Hello"}

    teammates = client.post("/api/v1/activities/", {**body, "deal": world[("rep2", "team")].pk})
    invisible = client.post("/api/v1/activities/", {**body, "deal": world[("rep3", "team")].pk})

    assert teammates.status_code == 403
    assert invisible.status_code == 400
    assert "deal" in invisible.json()["errors"]


def test_notifications_belong_to_their_recipient(api, company, world):
    mine = Notification.objects.create(recipient=company.rep1, kind="stalled", text="Mine")
    Notification.objects.create(recipient=company.rep1, kind="stalled", text="Also mine")
    theirs = Notification.objects.create(recipient=company.rep2, kind="stalled", text="Theirs")
    client = api(company.rep1)

    listed = client.get("/api/v1/notifications/").json()["results"]
    marked = client.patch(f"/api/v1/notifications/{mine.pk}/", {"is_read": True})
    all_read = client.post("/api/v1/notifications/mark-all-read/")

    assert {n["text"] for n in listed} == {"Mine", "Also mine"}
    assert marked.status_code == 200
    assert marked.json()["is_read"] is True
    assert all_read.json() == {"updated": 1}
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert client.patch(f"/api/v1/notifications/{theirs.pk}/", {"is_read": True}).status_code == 404
    assert api(company.admin).get(f"/api/v1/notifications/{mine.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_a_notification_changes_only_its_read_flag(api, company):
    notification = Notification.objects.create(recipient=company.rep1, kind="x", text="Hi")

    response = api(company.rep1).patch(
        f"/api/v1/notifications/{notification.pk}/", {"text": "Rewritten"}
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"text"}


def test_tokens_are_listed_to_their_owner_only(api, company):
    token, _ = api_token_create(user=company.rep2, name="rep2's")

    for viewer in ("rep1", "manager", "admin"):
        listed = api(getattr(company, viewer)).get("/api/v1/auth/tokens/").json()["results"]
        assert token.pk not in {t["id"] for t in listed}


JANUARY = datetime.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("rep1", {"rep1", "North"}),
        ("rep2", {"North"}),
        ("manager", {"rep1", "North"}),
        ("manager2", {"rep3"}),
        ("rep3", {"rep3"}),
        ("admin", {"rep1", "rep3", "North"}),
    ],
)
def test_quotas_are_seen_by_their_user_the_users_managers_and_admins(api, company, viewer, sees):
    quotas = {
        "rep1": Quota.objects.create(user=company.rep1, month=JANUARY, amount=100),
        "rep3": Quota.objects.create(user=company.rep3, month=JANUARY, amount=100),
        "North": Quota.objects.create(team=company.north, month=JANUARY, amount=500),
    }
    client = api(getattr(company, viewer))

    listed = {q["id"] for q in client.get("/api/v1/quotas/").json()["results"]}

    assert listed == {quotas[name].pk for name in sees}
    for name, quota in quotas.items():
        expected = 200 if name in sees else 404
        assert client.get(f"/api/v1/quotas/{quota.pk}/").status_code == expected
