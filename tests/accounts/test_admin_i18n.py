"""The admin pages of users, teams, schedules and the audit log, and the sign-in pages, in
the reader's language (docs/i18n.md)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEntry, Role, Team
from accounts.services import unique_name, user_role_check
from accounts.templatetags.admin_tags import audit_lines, audit_sentence
from accounts.views import describe_schedule
from pipelinecrm.exceptions import InvalidRequest
from tests.factories import speaking

pytestmark = pytest.mark.django_db


@pytest.fixture
def german_admin(company) -> Client:
    speaking(company.admin, "de")
    client = Client()
    client.force_login(company.admin)
    return client


def test_the_users_page_speaks_german(german_admin, company):
    page = german_admin.get(reverse("crm_admin:users")).content.decode()

    assert '<html lang="de">' in page
    assert "Neuer Benutzer" in page
    assert "Änderungsprotokoll" in page  # the admin menu's "Audit log"
    assert "Vertriebsmitarbeiter(in)" in page  # rep1's role
    assert "North (Manager(in))" in page


def test_the_audit_history_reads_as_german_sentences(german_admin, company):
    german_admin.post(reverse("crm_admin:user-role", args=[company.rep2.pk]), {"role": "manager"})

    page = german_admin.get(reverse("crm_admin:audit")).content.decode()

    assert "hat die Rolle von" in page
    assert "Änderungen, neueste zuerst" in page


def test_team_flashes_speak_german(german_admin, company):
    response = german_admin.post(
        reverse("crm_admin:teams"), {"name": "West", "managers": [], "members": []}, follow=True
    )

    assert "Team „West“ erstellt." in response.content.decode()


def test_a_refusal_speaks_the_admins_language(company):
    with translation.override("de"), pytest.raises(InvalidRequest) as refused:
        user_role_check(actor=company.admin, user=company.admin, role=Role.REP)

    assert refused.value.message == (
        "Sie können Ihre eigene Rolle nicht ändern; bitten Sie einen anderen Admin darum."
    )


def test_a_taken_name_is_refused_in_a_whole_sentence(company):
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        unique_name(Team, "north", noun="team")

    assert refused.value.message_dict == {"name": ["Er is al een team met die naam."]}


def test_the_schedules_page_names_intervals_in_german(german_admin):
    with translation.override("de"):
        assert describe_schedule(timedelta(minutes=15)) == "alle 15 Minuten"
        assert describe_schedule(3600) == "stündlich"
    page = german_admin.get(reverse("crm_admin:schedules")).content.decode()
    assert "Zeitpläne der Hintergrundjobs" in page


def test_intervals_in_english_use_proper_plurals():
    with translation.override("en"):
        assert describe_schedule(timedelta(days=1)) == "every day"
        assert describe_schedule(timedelta(hours=2)) == "every 2 hours"
        assert describe_schedule(1) == "every second"
        assert describe_schedule(30) == "every 30 seconds"
        assert describe_schedule(1.5) == "every 1.5 seconds"


def test_an_audit_sentence_escapes_what_users_typed(company):
    entry = AuditEntry(
        actor=company.admin, action="created", object_repr="<b>Team</b>", object_type="x"
    )

    with translation.override("en"):
        html = audit_sentence(entry)

    assert html == (
        '<strong>Admin Test</strong> created <span class="muted">&lt;b&gt;Team&lt;/b&gt;</span>'
    )


def test_an_unknown_audit_action_keeps_its_stored_words(company):
    entry = AuditEntry(actor=None, action="polished", object_repr="X", object_type="x")

    with translation.override("en"):
        assert audit_sentence(entry) == (
            '<strong>Someone</strong> polished <span class="muted">X</span>'
        )


def test_audit_lines_name_fields_and_facts_in_the_readers_language():
    with translation.override("de"):
        lines = audit_lines({"is_active": [True, False], "first_name": ["Ann", "Anna"]})

    assert lines == ["aktiv: ja → nein", "Vorname: Ann → Anna"]


def test_the_sign_in_page_speaks_the_browsers_language(company):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")

    page = client.get(reverse("login")).content.decode()

    assert "Anmelden" in page
    assert "Passwort vergessen?" in page


def test_the_password_change_page_shows_djangos_german_labels(company):
    speaking(company.rep1, "de")
    client = Client()
    client.force_login(company.rep1)

    page = client.get(reverse("password_change")).content.decode()

    assert "Altes Passwort" in page  # Django's own translation
    assert "Passwort ändern" in page
    assert "alle Ihre API-Tokens widerrufen" in page


def test_the_audit_log_filter_names_object_types_in_the_readers_language(german_admin, company):
    german_admin.post(reverse("crm_admin:user-role", args=[company.rep2.pk]), {"role": "manager"})

    page = german_admin.get(reverse("crm_admin:audit")).content.decode()

    # The model's name in Django's own German, the stored type as the option's value.
    assert '<option value="accounts.user" >Benutzer</option>' in page
