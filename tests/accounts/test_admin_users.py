"""Admin pages: users — create (invite or one-time password), edit, role, deactivate with
hand-over, reactivate (docs/domain/admin-pages.md)."""

import datetime
import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, Role, TeamMembership, User
from deals.models import Activity, Deal, DealEvent, LostReason, Notification
from deals.services.activities import activity_log
from deals.services.moves import deal_mark_lost
from pipelines.models import Pipeline
from tests.factories import PASSWORD, make_deal, make_team

pytestmark = pytest.mark.django_db

CREATE = reverse("crm_admin:user-create")
NEW_PASSWORD = "a-brand-new-passphrase-42"


def _url(name: str, user: User) -> str:
    return reverse(f"crm_admin:{name}", args=[user.pk])


def _signs_in(username: str, password: str) -> bool:
    response = Client().post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.9"
    )
    return response.status_code == 302


def _new_user(**values) -> dict:
    return {
        "username": "rep4",
        "first_name": "Rita",
        "last_name": "Four",
        "email": "rita@example.com",
        "role": "rep",
        "access": "invite",
    } | values


# -- Creating ----------------------------------------------------------------------------


def test_create_with_a_one_time_password_shows_it_once_and_it_works(admin_client, company):
    response = admin_client.post(CREATE, _new_user(access="password", email=""))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    password = re.search(
        r'data-testid="one-time-password">([^<]+)<', response.content.decode()
    ).group(1)
    user = User.objects.get(username="rep4")
    assert (user.role, user.is_active, user.is_staff) == (Role.REP, True, False)
    assert _signs_in("rep4", html.unescape(password))
    # Shown once: the user's page never shows it again, and the audit does not keep it.
    assert password not in admin_client.get(_url("user", user)).content.decode()
    entry = AuditEntry.objects.get(object_id=str(user.pk), action="created")
    assert entry.changes == {"role": "rep", "email": "", "access": "password"}


def test_create_with_an_invitation_emails_a_set_password_link(
    admin_client, company, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CREATE, _new_user(role="manager"))

    assert "An invitation with a link to choose a password was sent to" in (
        response.content.decode()
    )
    user = User.objects.get(username="rep4")
    assert user.role == Role.MANAGER
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["rita@example.com"]
    assert "Your username is: rep4" in mailoutbox[0].body
    link = re.search(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", mailoutbox[0].body)
    assert link, mailoutbox[0].body

    invited = Client()
    form_url = invited.get(link[1]).url
    done = invited.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.url == reverse("password_reset_complete")
    assert _signs_in("rep4", NEW_PASSWORD)
    # The link works once.
    assert "This link has expired" in Client().get(link[1], follow=True).content.decode()


def test_new_admin_can_use_the_django_admin_too(admin_client, company):
    admin_client.post(CREATE, _new_user(role="admin", access="password"))

    user = User.objects.get(username="rep4")
    assert (user.is_staff, user.is_superuser) == (True, True)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"username": "rep1"}, "A user with that username already exists."),
        ({"username": ""}, "This field is required."),
        ({"email": ""}, "An invitation needs an email address."),
        ({"email": "REP1@example.com"}, "Another user already has this email address."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"role": "owner"}, "Select a valid choice."),
    ],
)
def test_create_refuses_bad_input_and_creates_nobody(
    admin_client, company, mailoutbox, values, message
):
    response = admin_client.post(CREATE, _new_user(**values))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert User.objects.count() == 6
    assert mailoutbox == []


def test_resend_invitation_from_the_user_page(
    admin_client, company, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_url("user-invite", company.rep2), follow=True)

    assert "A link to choose a password was sent to rep2@example.com." in (
        response.content.decode()
    )
    assert mailoutbox[0].to == ["rep2@example.com"]
    assert AuditEntry.objects.filter(object_id=str(company.rep2.pk), action="invited").exists()


# -- Editing and roles -------------------------------------------------------------------


def test_edit_details_records_the_change(admin_client, company):
    response = admin_client.post(
        _url("user-edit", company.rep2),
        {"first_name": "Rob", "last_name": "Two", "email": "rob@example.com"},
    )

    assert response.status_code == 302
    company.rep2.refresh_from_db()
    assert (company.rep2.first_name, company.rep2.email) == ("Rob", "rob@example.com")
    assert AuditEntry.objects.get(action="edited").changes == {
        "first_name": ["Rep2", "Rob"],
        "last_name": ["Test", "Two"],
        "email": ["rep2@example.com", "rob@example.com"],
    }


def test_edit_refuses_an_email_another_user_has(admin_client, company):
    response = admin_client.post(
        _url("user-edit", company.rep2),
        {"first_name": "Rep2", "last_name": "Test", "email": "rep1@example.com"},
    )

    assert response.status_code == 422
    assert "Another user already has this email address." in response.content.decode()


def test_promoting_to_admin_opens_the_django_admin_and_demoting_closes_it(admin_client, company):
    admin_client.post(_url("user-role", company.rep2), {"role": "admin"})
    company.rep2.refresh_from_db()
    assert (company.rep2.role, company.rep2.is_staff, company.rep2.is_superuser) == (
        Role.ADMIN,
        True,
        True,
    )

    admin_client.post(_url("user-role", company.rep2), {"role": "manager"})
    company.rep2.refresh_from_db()
    assert (company.rep2.role, company.rep2.is_staff, company.rep2.is_superuser) == (
        Role.MANAGER,
        False,
        False,
    )
    roles = [e.changes["role"] for e in AuditEntry.objects.filter(action="role changed")]
    assert roles == [["admin", "manager"], ["rep", "admin"]]


def test_demoting_a_team_manager_to_rep_is_refused_until_the_team_changes(admin_client, company):
    response = admin_client.post(_url("user-role", company.manager), {"role": "rep"})

    assert response.status_code == 400
    assert "Manager Test manages North. A rep cannot manage a team" in (
        html.unescape(response.content.decode())
    )
    company.manager.refresh_from_db()
    assert company.manager.role == Role.MANAGER
    assert TeamMembership.objects.get(user=company.manager).kind == "manager"

    # As a plain member of the team, demoting is fine.
    TeamMembership.objects.filter(user=company.manager).update(kind="member")
    admin_client.post(_url("user-role", company.manager), {"role": "rep"})
    company.manager.refresh_from_db()
    assert company.manager.role == Role.REP


def test_demoting_to_manager_keeps_managed_teams(admin_client, company):
    make_team("West", managers=[company.admin])
    other_admin = User.objects.create_user("admin2", role=Role.ADMIN, password=PASSWORD)
    admin_client.force_login(other_admin)

    admin_client.post(_url("user-role", company.admin), {"role": "manager"})

    company.admin.refresh_from_db()
    assert company.admin.role == Role.MANAGER


def test_admins_cannot_change_their_own_role(admin_client, company):
    response = admin_client.post(_url("user-role", company.admin), {"role": "rep"})

    assert response.status_code == 400
    assert "You cannot change your own role" in response.content.decode()
    company.admin.refresh_from_db()
    assert company.admin.role == Role.ADMIN


# -- Deactivating ------------------------------------------------------------------------


@pytest.fixture
def rep1_work(company):
    """rep1's open and closed deals, open and done activities."""
    open_sales = make_deal(company.rep1, company.sales, title="Open sale")
    open_renewal = make_deal(company.rep1, company.private, title="Open renewal")
    closed = make_deal(company.rep1, company.sales, title="Closed")
    closed = deal_mark_lost(
        user=company.rep1,
        deal=closed,
        version=closed.version,
        reason=LostReason.objects.create(name="Price"),
    )
    due = timezone.now() + datetime.timedelta(days=1)
    call = activity_log(
        user=company.rep1, deal=open_sales, kind="call", subject="Call back", done=False, due_at=due
    )
    done = activity_log(user=company.rep1, deal=open_sales, kind="email", subject="Sent")
    Activity.objects.filter(pk=call.pk).update(reminded_at=timezone.now())
    Pipeline.objects.update(forecast_dirty_since=None)
    deals = {d.title: Deal.objects.get(pk=d.pk) for d in (open_sales, open_renewal, closed)}
    return {"deals": deals, "call": call, "done": done}


def test_deactivate_page_asks_who_takes_over_deals_and_activities(admin_client, company, rep1_work):
    page = admin_client.get(_url("user-deactivate", company.rep1)).content.decode()

    assert "2 open deals" in page
    assert "1 open activity" in page
    assert "Their open deals go to" in page
    assert "Their open activities go to" in page


def test_deactivating_hands_open_work_over_and_keeps_closed_work(admin_client, company, rep1_work):
    response = admin_client.post(
        _url("user-deactivate", company.rep1),
        {"deals_to": company.rep2.pk, "activities_to": company.manager.pk},
        follow=True,
    )

    assert "Rep1 Test can no longer sign in. 2 open deals and 1 open activity handed over." in (
        response.content.decode()
    )
    company.rep1.refresh_from_db()
    assert not company.rep1.is_active
    assert not _signs_in("rep1", PASSWORD)
    for title in ("Open sale", "Open renewal"):
        before = rep1_work["deals"][title]
        after = Deal.objects.get(pk=before.pk)
        assert after.owner == company.rep2
        assert after.version == before.version + 1
        event = DealEvent.objects.filter(deal=after, kind=DealEvent.Kind.REASSIGNED).get()
        assert (event.user, event.data) == (company.admin, {"old": "rep1", "new": "rep2"})
    assert Deal.objects.get(title="Closed").owner == company.rep1
    call = Activity.objects.get(pk=rep1_work["call"].pk)
    assert (call.owner, call.reminded_at) == (company.manager, None)
    assert Activity.objects.get(pk=rep1_work["done"].pk).owner == company.rep1
    assert all(p.forecast_dirty_since for p in Pipeline.objects.all())
    notices = Notification.objects.filter(recipient=company.rep2, kind="handover")
    assert [n.text for n in notices] == ["2 open deals of Rep1 Test are now yours."]
    actions = list(
        AuditEntry.objects.filter(object_id=str(company.rep1.pk)).values_list("action", flat=True)
    )
    assert actions == ["work handed over", "deactivated"]


def test_deactivating_without_choosing_a_successor_changes_nothing(
    admin_client, company, rep1_work
):
    response = admin_client.post(
        _url("user-deactivate", company.rep1), {"activities_to": company.rep2.pk}
    )

    assert response.status_code == 422
    assert "Choose who takes over their open deals." in response.content.decode()
    company.rep1.refresh_from_db()
    assert company.rep1.is_active
    assert Activity.objects.get(pk=rep1_work["call"].pk).owner == company.rep1
    assert not AuditEntry.objects.exists()


def test_work_cannot_go_to_the_leaving_user_or_an_inactive_one(admin_client, company, rep1_work):
    User.objects.filter(pk=company.rep3.pk).update(is_active=False)

    to_self = admin_client.post(
        _url("user-deactivate", company.rep1),
        {"deals_to": company.rep1.pk, "activities_to": company.rep2.pk},
    )
    to_inactive = admin_client.post(
        _url("user-deactivate", company.rep1),
        {"deals_to": company.rep3.pk, "activities_to": company.rep2.pk},
    )

    for response in (to_self, to_inactive):
        assert response.status_code == 422
        assert "Select a valid choice." in response.content.decode()
    company.rep1.refresh_from_db()
    assert company.rep1.is_active


def test_a_user_without_open_work_is_deactivated_directly(admin_client, company):
    response = admin_client.post(_url("user-deactivate", company.rep3))

    assert response.status_code == 302
    company.rep3.refresh_from_db()
    assert not company.rep3.is_active


def test_admins_cannot_deactivate_themselves(admin_client, company):
    response = admin_client.post(_url("user-deactivate", company.admin))

    assert response.status_code == 422
    assert "You cannot deactivate yourself" in response.content.decode()
    company.admin.refresh_from_db()
    assert company.admin.is_active


def test_reactivate_lets_the_user_sign_in_again(admin_client, company):
    admin_client.post(_url("user-deactivate", company.rep3))

    admin_client.post(_url("user-reactivate", company.rep3))

    assert _signs_in("rep3", PASSWORD)
    assert AuditEntry.objects.filter(action="reactivated").count() == 1


def test_users_list_shows_roles_teams_and_status(admin_client, company):
    User.objects.filter(pk=company.rep3.pk).update(is_active=False)

    page = admin_client.get(reverse("crm_admin:users")).content.decode()

    assert "North (manager)" in page
    assert "Deactivated" in page
    assert page.index("Rep3 Test") > page.index("Rep2 Test")  # inactive users last


def test_user_page_shows_its_audit_history(admin_client, company):
    admin_client.post(_url("user-role", company.rep2), {"role": "manager"})

    page = admin_client.get(_url("user", company.rep2)).content.decode()

    assert "changed the role of" in page
    assert "role: rep → manager" in page
