"""Admin pages: teams — create, rename, managers
and members, delete (docs/domain/admin-pages.md)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEntry, Team, TeamMembership
from accounts.services import team_update
from deals.access import can_edit
from forecasting.models import Quota
from tests.factories import make_deal

pytestmark = pytest.mark.django_db

LIST = reverse("crm_admin:teams")


def _people(team: Team) -> dict[str, list[str]]:
    rows = team.memberships.order_by("user__username").values_list("kind", "user__username")
    return {
        "managers": [name for kind, name in rows if kind == "manager"],
        "members": [name for kind, name in rows if kind == "member"],
    }


def test_create_team_with_managers_and_members(admin_client, company):
    response = admin_client.post(
        LIST,
        {"name": "West", "managers": [company.manager2.pk], "members": [company.rep1.pk]},
    )

    assert response.status_code == 302
    west = Team.objects.get(name="West")
    assert _people(west) == {"managers": ["manager2"], "members": ["rep1"]}
    # What the team means: manager2 now manages rep1's deals.
    assert can_edit(company.manager2, make_deal(company.rep1, company.sales))
    assert AuditEntry.objects.get(object_id=str(west.pk), action="created").changes == {
        "managers": ["manager2"],
        "members": ["rep1"],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "north"}, "There is already a team with that name."),
        ({"name": "West", "managers": ["rep1"]}, "Select a valid choice."),
        ({"name": "West", "managers": ["manager"], "members": ["manager"]}, "cannot be both"),
    ],
)
def test_create_team_refuses_bad_input(admin_client, company, data, message):
    ids = {name: getattr(company, name).pk for name in ("rep1", "manager")}
    data = {
        key: [ids[v] for v in value] if isinstance(value, list) else value
        for key, value in data.items()
    }

    response = admin_client.post(LIST, data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Team.objects.count() == 2


def test_team_list_shows_managers_and_members(admin_client, company):
    page = admin_client.get(LIST).content.decode()

    north = page[page.index(">North<") : page.index(">South<")]
    assert "Manager Test" in north
    assert "Rep1 Test" in north
    assert "Rep3 Test" not in north


def test_rename_and_change_people_in_one_save(admin_client, company):
    url = reverse("crm_admin:team", args=[company.north.pk])

    response = admin_client.post(
        url,
        {
            "name": "North & East",
            "managers": [company.manager.pk, company.admin.pk],
            "members": [company.rep2.pk, company.rep3.pk],
        },
    )

    assert response.status_code == 302
    company.north.refresh_from_db()
    assert company.north.name == "North & East"
    assert _people(company.north) == {"managers": ["admin", "manager"], "members": ["rep2", "rep3"]}
    assert AuditEntry.objects.get(object_id=str(company.north.pk), action="edited").changes == {
        "name": ["North", "North & East"],
        "managers": [["manager"], ["admin", "manager"]],
        "members": [["rep1", "rep2"], ["rep2", "rep3"]],
    }
    page = admin_client.get(url).content.decode()
    assert "name: North → North &amp; East" in page


def test_a_rep_cannot_be_made_a_manager_of_a_team(company):
    """The form offers only managers and admins; the service refuses reps regardless."""
    with pytest.raises(ValidationError, match="only a user with the manager or admin role"):
        team_update(
            actor=company.admin,
            team=company.north,
            name="North",
            manager_ids=[company.rep1.pk],
            member_ids=[],
        )
    assert _people(company.north)["managers"] == ["manager"]


def test_rename_to_a_taken_name_is_refused(admin_client, company):
    response = admin_client.post(
        reverse("crm_admin:team", args=[company.north.pk]),
        {"name": "SOUTH", "managers": [company.manager.pk]},
    )

    assert response.status_code == 422
    company.north.refresh_from_db()
    assert company.north.name == "North"
    assert TeamMembership.objects.filter(team=company.north).count() == 3


def test_delete_team_removes_memberships_and_its_quotas_not_users(admin_client, company):
    Quota.objects.create(team=company.north, month=datetime.date(2025, 1, 1), amount=Decimal(10))
    Quota.objects.create(user=company.rep1, month=datetime.date(2025, 1, 1), amount=Decimal(5))
    team_id = company.north.pk

    response = admin_client.post(reverse("crm_admin:team-delete", args=[team_id]))

    assert response.url == LIST
    assert not Team.objects.filter(pk=team_id).exists()
    assert not TeamMembership.objects.filter(team_id=team_id).exists()
    assert list(Quota.objects.values_list("user__username", flat=True)) == ["rep1"]
    entry = AuditEntry.objects.get(object_id=str(team_id), action="deleted")
    assert (entry.object_repr, entry.changes["members"]) == ("North", ["rep1", "rep2"])
