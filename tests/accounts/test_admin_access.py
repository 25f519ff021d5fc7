"""The in-app admin pages are for admins only (docs/domain/admin-pages.md).

Every URL of the admin URLconf is walked, so a page added later is covered without
touching this file: reps and managers get 404 for GET and POST alike (never 403, never a
hint of what is there), anonymous visitors go to the login page, admins get the page.
"""

import pytest
from django.urls import URLPattern, reverse

from console import urls as admin_urls
from deals.models import LostReason
from integrations.models import StageAutomation, WebhookDelivery, WebhookSubscription
from pipelines.models import CustomField
from tests.factories import make_custom_field, make_item
from tests.helpers import assert_no_inline_script

URL_NAMES = [pattern.name for pattern in admin_urls.urlpatterns if isinstance(pattern, URLPattern)]
# The pages an admin opens with GET; the others only take POST.
GET_PAGES = {
    "home",
    "pipelines",
    "pipeline",
    "stage",
    "item",
    "item-edit",
    "stage-remove",
    "custom-fields",
    "custom-field",
    "lost-reasons",
    "users",
    "user-create",
    "user",
    "user-deactivate",
    "teams",
    "team",
    "quotas",
    "schedules",
    "audit",
    "webhooks",
    "webhook-create",
    "webhook",
    "webhook-edit",
    "webhook-delivery",
    "stage-automations",
    "automation-create",
    "automation-edit",
}


def _webhook() -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        name="Billing", url="https://93.184.216.34/hook", events=["deal.won"]
    )


@pytest.fixture
def url_for(company):
    """``url_for(name)``: the admin URL ``name`` pointing at real objects of ``company``."""
    competitor = make_custom_field(
        "Competitor", CustomField.Type.SINGLE_CHOICE, options=("Acme", "Globex")
    )
    objects = {
        "pipeline_id": company.sales.pk,
        "field_id": competitor.pk,
        "option_id": competitor.options.get(key="acme").pk,
        "stage_id": company.stages[1].pk,
        "item_id": make_item(company.stages[1]).pk,
        "reason_id": LostReason.objects.create(name="Price").pk,
        "user_id": company.rep2.pk,
        "team_id": company.north.pk,
        "automation_id": StageAutomation.objects.create(
            stage=company.stages[1], action="notify_manager"
        ).pk,
        "subscription_id": (hook := _webhook()).pk,
        "delivery_id": WebhookDelivery.objects.create(
            subscription=hook, event_type="deal.won", payload={"type": "deal.won"}
        ).pk,
    }

    def _url(name: str) -> str:
        pattern = next(p for p in admin_urls.urlpatterns if p.name == name)
        kwargs = {key: objects[key] for key in pattern.pattern.converters}
        return reverse(f"crm_admin:{name}", kwargs=kwargs)

    return _url


def test_every_admin_url_is_classified_as_a_page_or_an_action():
    assert set(URL_NAMES) >= GET_PAGES
    assert len(URL_NAMES) == len(set(URL_NAMES))


@pytest.mark.parametrize("name", URL_NAMES)
@pytest.mark.parametrize("persona", ["rep1", "manager"])
def test_non_admins_get_404_on_every_admin_url(client, company, url_for, name, persona):
    client.force_login(getattr(company, persona))
    url = url_for(name)

    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x", "direction": "up", "order": "1"}).status_code == 404


@pytest.mark.parametrize("name", URL_NAMES)
def test_anonymous_visitors_are_sent_to_sign_in(client, company, url_for, name):
    response = client.get(url_for(name))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("name", sorted(GET_PAGES))
def test_admin_opens_every_admin_page_and_it_runs_no_inline_script(client, company, url_for, name):
    client.force_login(company.admin)

    response = client.get(url_for(name))

    assert response.status_code == 200
    assert_no_inline_script(response)


@pytest.mark.parametrize("name", sorted(set(URL_NAMES) - GET_PAGES))
def test_admin_actions_accept_only_post(client, company, url_for, name):
    client.force_login(company.admin)

    assert client.get(url_for(name)).status_code == 405


def test_the_admin_link_in_the_navigation_leads_admins_to_the_in_app_admin(client, company):
    client.force_login(company.admin)
    page = client.get(reverse("crm_admin:home")).content.decode()

    assert f'href="{reverse("crm_admin:home")}"' in page
    assert 'href="/django-admin/"' in page  # the Django admin is still one click away


def test_reps_see_no_admin_link(client, company):
    client.force_login(company.rep1)

    board = client.get(reverse("board-pipeline", args=[company.sales.pk])).content.decode()

    assert f'href="{reverse("crm_admin:home")}"' not in board
