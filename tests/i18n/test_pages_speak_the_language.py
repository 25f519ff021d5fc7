"""Every page, shown to a German or Dutch user, has no English word of the UI's own labels
(docs/i18n.md: a rep never meets English unless they chose it)."""

import html
import re

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from deals.models import Activity, Organization, Person
from integrations.models import WebhookDelivery, WebhookSubscription
from pipelines.models import ActivityKind
from tests import factories

# The UI's own English labels (not the test company's data: its stage, pipeline, team and
# deal names are English words on purpose, and are never translated).
ENGLISH_LABELS = [
    "Activities",
    "Organizations",
    "People",
    "Log out",
    "Password",
    "Notifications",
    "Save",
    "Cancel",
    "Value",
    "Owner",
    "Weighted",
    "weighted",
    "Won",
    "Lost",
    "Overdue",
    "Search",
    "Stage",
    "Stages",
    "Probability",
    "Forecast",
    "Quota",
    "Quotas",
    "Users",
    "Teams",
    "Schedules",
    "Audit log",
    "Mark as read",
    "Expected close",
    "Edit",
    "Delete",
    "Required",
    "No value",
    "Today",
    "Move",
    "Reopen",
    "Upload",
    "Previous",
    "Next",
    "deals",
    "Open deals",
    "Title",
    "Organization",
    "Person",
    "Close date",
    "Add",
    "New deal",
    "Total",
    "Skip to content",
    "Language",
    "Profile",
    "Sign in",
    "Done",
    "Mark done",
    "Call",
    "Note",
    "Task",
    "Manager",
    "Rep",
    "Name",
    "Email",
    "Role",
    "Active",
    "Archived",
    "Entry",
    "Exit",
    "Checklist items",
    "Reasons",
    "Import",
    "Change",
    "Back",
    "Show",
    "Hide",
    "Status",
]

URL_SPECS = [
    ("board", []),
    ("deals-list", []),
    ("activities", []),
    ("organizations", []),
    ("people", []),
    ("notifications", []),
    ("dashboard", []),
    ("rep-home", []),
    ("import", []),
    ("profile", []),
    ("password_change", []),
]
ADMIN_URL_SPECS = [
    ("crm_admin:home", []),
    ("crm_admin:pipelines", []),
    ("crm_admin:lost-reasons", []),
    ("crm_admin:users", []),
    ("crm_admin:user-create", []),
    ("crm_admin:teams", []),
    ("crm_admin:quotas", []),
    ("crm_admin:schedules", []),
    ("crm_admin:audit", []),
    ("crm_admin:webhooks", []),
    ("crm_admin:webhook-create", []),
]


def visible_text(page: str) -> str:
    """What a person reads: text and the titles, labels and placeholders of elements."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    attributes = re.findall(r'(?:title|aria-label|placeholder|alt)="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *attributes]))


def words_of_the_translation(language: str) -> set[str]:
    """Labels that are also the language's own word (German says "Filter" too)."""
    po = polib.pofile(str(settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"))
    text = " ".join([e.msgstr for e in po] + [s for e in po for s in e.msgstr_plural.values()])
    return {label for label in ENGLISH_LABELS if re.search(rf"\b{re.escape(label)}\b", text)}


def english_words(page: str, language: str) -> list[str]:
    text = visible_text(page)
    allowed = words_of_the_translation(language)
    return [
        label
        for label in ENGLISH_LABELS
        if label not in allowed and re.search(rf"(?<![\w-]){re.escape(label)}(?![\w-])", text)
    ]


@pytest.fixture
def busy_company(company):
    """Something on every page: a deal with an activity due, another won."""
    deal = factories.make_deal(company.manager, company.sales, title="Zeta 42")
    Activity.objects.create(
        deal=deal,
        kind=ActivityKind.CALL,
        subject="Zeta",
        owner=company.manager,
        due_at=deal.created_at,
    )
    return company


def pages(client, user: User, specs, language: str):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    for name, args in specs:
        response = client.get(reverse(name, args=args), follow=True)
        assert response.status_code == 200, name
        yield name, response


@pytest.mark.parametrize("language", ["de", "nl"])
def test_a_managers_pages_have_no_english_label(client, busy_company, language):
    for name, response in pages(client, busy_company.manager, URL_SPECS, language):
        assert response["Content-Language"] == language, name
        assert english_words(response.content.decode(), language) == [], name


@pytest.mark.parametrize("language", ["de", "nl"])
def test_the_admin_pages_have_no_english_label(client, busy_company, language):
    pipeline = busy_company.sales
    stage = pipeline.stages.order_by("position").first()
    webhook = WebhookSubscription.objects.create(
        name="Zeta", url="https://93.184.216.34/hook", events=["deal.won"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=webhook, event_type="deal.won", status="failed", response_code=500
    )
    specs = [
        *ADMIN_URL_SPECS,
        ("crm_admin:pipeline", [pipeline.pk]),
        ("crm_admin:stage", [stage.pk]),
        ("crm_admin:user", [busy_company.rep1.pk]),
        ("crm_admin:team", [busy_company.north.pk]),
        ("crm_admin:webhook", [webhook.pk]),
        ("crm_admin:webhook-edit", [webhook.pk]),
        ("crm_admin:webhook-delivery", [delivery.pk]),
    ]
    for name, response in pages(client, busy_company.admin, specs, language):
        assert english_words(response.content.decode(), language) == [], name


@pytest.mark.parametrize("language", ["de", "nl"])
def test_pages_of_one_thing_have_no_english_label(client, busy_company, language):
    """A deal, an organization, a person, the team's analytics."""
    organization = Organization.objects.create(name="Zeta GmbH")
    person = Person.objects.create(name="Zora Zeta", organization=organization)
    deal = busy_company.sales.deals.get(title="Zeta 42")
    deal.organization, deal.person = organization, person
    deal.save(update_fields=["organization", "person"])
    team = busy_company.north.pk
    specs = [
        ("deal-detail", [deal.pk]),
        ("organization-detail", [organization.pk]),
        ("person-detail", [person.pk]),
        ("team-dashboard", [team]),
        ("team-checklists", [team]),
        ("team-probabilities", [team]),
    ]
    for name, response in pages(client, busy_company.manager, specs, language):
        assert english_words(response.content.decode(), language) == [], name


def test_an_english_page_is_caught_by_the_check(client, busy_company):
    """The check itself finds English words where they are."""
    busy_company.manager.language = "en"
    busy_company.manager.save(update_fields=["language"])
    client.force_login(busy_company.manager)
    page = client.get(reverse("board"), follow=True).content.decode()
    assert {"Activities", "Log out"} <= set(english_words(page, "de"))
