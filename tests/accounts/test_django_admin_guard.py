"""/django-admin/ cannot undo the audit (docs/hardening/accounts-security.md).

Audit entries, stage changes, deal events and refused moves are read-only there; deals
cannot be deleted there; role and team changes go through accounts/services.py, so they
are audited and a demoted admin stops being a superuser.
"""

import pytest
from django import forms

from accounts.models import AuditEntry, Role, Team, User
from accounts.services import audit_record
from deals.models import DealEvent, MoveRefusal, StageChange
from tests.factories import make_deal, make_user

ADMIN = "/django-admin"


def _change_form_data(response) -> dict:
    """The change form's current values, as a browser would submit them unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None:
            continue
        if isinstance(field.widget, forms.MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = value
    return data


@pytest.fixture
def history(company):
    """One record of each kind the audit keeps."""
    deal = make_deal(company.rep1, company.sales)
    refusal = MoveRefusal.objects.create(
        deal=deal, user=company.rep1, from_stage=company.stages[0], to_stage=company.stages[1]
    )
    return {
        "accounts/auditentry": audit_record(
            actor=company.admin, target=company.rep1, action="edited"
        ),
        "deals/stagechange": StageChange.objects.filter(deal=deal).get(),
        "deals/dealevent": DealEvent.objects.filter(deal=deal).first(),
        "deals/moverefusal": refusal,
    }


@pytest.mark.parametrize(
    "model", ["accounts/auditentry", "deals/stagechange", "deals/dealevent", "deals/moverefusal"]
)
def test_the_record_of_what_happened_is_read_only(admin_client, history, model):
    record = history[model]
    url = f"{ADMIN}/{model}/{record.pk}"

    page = admin_client.get(f"{url}/change/")
    changelist = admin_client.get(f"{ADMIN}/{model}/")

    assert page.status_code == 200  # admins may still read it
    assert 'name="_save"' not in page.text
    assert "delete_selected" not in changelist.text
    assert admin_client.get(f"{ADMIN}/{model}/add/").status_code == 403
    assert admin_client.post(f"{url}/change/", {}).status_code == 403
    assert admin_client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    deleted = admin_client.post(
        f"{ADMIN}/{model}/",
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert deleted.status_code == 200  # the changelist, saying no such action
    assert type(record).objects.filter(pk=record.pk).exists()


def test_deals_cannot_be_deleted_there(admin_client, company, history):
    deal = make_deal(company.rep1, company.sales)

    page = admin_client.get(f"{ADMIN}/deals/deal/")
    single = admin_client.post(f"{ADMIN}/deals/deal/{deal.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        f"{ADMIN}/deals/deal/",
        {"action": "delete_selected", "_selected_action": [deal.pk], "post": "yes"},
    )

    assert "delete_selected" not in page.text
    assert single.status_code == 403
    assert bulk.status_code == 200
    assert deal.stage_changes.exists()
    assert type(deal).objects.filter(pk=deal.pk).exists()


def _user_url(user: User) -> str:
    return f"{ADMIN}/accounts/user/{user.pk}/change/"


def _change_role(admin_client, user: User, role: str):
    data = _change_form_data(admin_client.get(_user_url(user)))
    return admin_client.post(_user_url(user), {**data, "role": role})


def test_demoting_an_admin_there_takes_away_superuser_and_is_audited(admin_client, company):
    other_admin = make_user("admin2", Role.ADMIN)

    response = _change_role(admin_client, other_admin, Role.MANAGER)

    assert response.status_code == 302
    other_admin.refresh_from_db()
    assert other_admin.role == Role.MANAGER
    assert not other_admin.is_superuser
    assert not other_admin.is_staff
    entry = AuditEntry.objects.get(object_id=str(other_admin.pk), action="role changed")
    assert entry.actor == company.admin
    assert entry.changes == {"role": ["admin", "manager"]}


def test_promoting_there_makes_a_superuser_and_keeps_other_edits(admin_client, company):
    data = _change_form_data(admin_client.get(_user_url(company.rep1)))

    response = admin_client.post(
        _user_url(company.rep1), {**data, "role": Role.ADMIN, "first_name": "Renamed"}
    )

    assert response.status_code == 302
    company.rep1.refresh_from_db()
    assert (company.rep1.role, company.rep1.is_superuser, company.rep1.is_staff) == (
        Role.ADMIN,
        True,
        True,
    )
    assert company.rep1.first_name == "Renamed"
    assert AuditEntry.objects.filter(object_id=str(company.rep1.pk), action="role changed")


@pytest.mark.parametrize(
    ("who", "role", "reason"),
    [
        ("manager2", Role.REP, "manages South"),
        ("admin", Role.REP, "cannot change your own role"),
    ],
)
def test_a_role_change_the_service_refuses_is_a_form_error(
    admin_client, company, who, role, reason
):
    user = getattr(company, who)
    before = user.role

    response = _change_role(admin_client, user, role)

    assert response.status_code == 200
    assert reason in response.text
    user.refresh_from_db()
    assert user.role == before
    assert not AuditEntry.objects.filter(action="role changed").exists()


def test_flags_that_follow_the_role_cannot_be_set_there(admin_client, company):
    data = _change_form_data(admin_client.get(_user_url(company.rep1)))

    admin_client.post(
        _user_url(company.rep1),
        {**data, "is_superuser": "on", "is_staff": "on", "is_active": ""},
    )

    company.rep1.refresh_from_db()
    assert not company.rep1.is_superuser
    assert not company.rep1.is_staff
    assert company.rep1.is_active


def test_users_are_neither_added_nor_deleted_there(admin_client, company):
    assert admin_client.get(f"{ADMIN}/accounts/user/add/").status_code == 403
    deleted = admin_client.post(f"{ADMIN}/accounts/user/{company.rep3.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert User.objects.filter(pk=company.rep3.pk).exists()


def test_a_team_created_and_edited_there_is_audited(admin_client, company):
    created = admin_client.post(
        f"{ADMIN}/accounts/team/add/",
        {"name": "West", "managers": [company.manager.pk], "members": [company.rep3.pk]},
    )
    west = Team.objects.get(name="West")
    edited = admin_client.post(
        f"{ADMIN}/accounts/team/{west.pk}/change/",
        {"name": "West", "managers": [company.manager2.pk], "members": [company.rep3.pk]},
    )

    assert (created.status_code, edited.status_code) == (302, 302)
    entries = AuditEntry.objects.filter(object_type="accounts.team", object_id=str(west.pk))
    assert [e.action for e in entries.order_by("id")] == ["created", "edited"]
    assert entries.get(action="edited").changes == {"managers": [["manager"], ["manager2"]]}
    assert set(west.memberships.values_list("user__username", "kind")) == {
        ("manager2", "manager"),
        ("rep3", "member"),
    }


def test_a_team_the_service_refuses_is_a_form_error(admin_client, company):
    response = admin_client.post(
        f"{ADMIN}/accounts/team/{company.north.pk}/change/",
        {"name": "North", "managers": [company.manager.pk], "members": [company.manager.pk]},
    )

    assert response.status_code == 200
    assert "cannot be both manager and member" in response.text
    assert company.north.memberships.filter(user=company.rep1).exists()


def test_a_team_name_taken_in_another_case_is_a_form_error(admin_client, company):
    response = admin_client.post(
        f"{ADMIN}/accounts/team/add/", {"name": "north", "managers": [], "members": []}
    )

    assert response.status_code == 200
    assert "There is already a team with that name." in response.text
    assert not Team.objects.filter(name="north").exists()


def test_a_team_deleted_there_is_audited(admin_client, company):
    response = admin_client.post(
        f"{ADMIN}/accounts/team/{company.south.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Team.objects.filter(pk=company.south.pk).exists()
    assert AuditEntry.objects.get(object_type="accounts.team", action="deleted").changes == {
        "managers": ["manager2"],
        "members": ["rep3"],
    }
