"""No server-side request forgery (docs/domain/webhooks.md): https only, public addresses
only, checked again at every attempt."""

import pytest
from django.core.exceptions import ValidationError

from integrations.delivery import send_deliveries
from integrations.dispatch import dispatch_events
from integrations.models import EventType, WebhookDelivery
from integrations.net import check_url
from tests import factories


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    settings.WEBHOOKS_ALLOW_HTTP = False
    return settings


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://localhost/hook",  # a host name resolving to loopback
        "https://localhost:8443/hook",
    ],
)
def test_internal_addresses_are_refused(production, url):
    with pytest.raises(ValidationError) as refused:
        check_url(url)

    assert "public addresses only" in refused.value.messages[0]


def test_a_public_address_is_allowed(production):
    check_url("https://93.184.215.14/hook")  # an IP literal: no DNS needed


def test_http_is_refused_unless_allowed(production):
    with pytest.raises(ValidationError) as refused:
        check_url("http://93.184.215.14/hook")
    assert "https://" in refused.value.messages[0]

    production.WEBHOOKS_ALLOW_HTTP = True
    check_url("http://93.184.215.14/hook")


@pytest.mark.parametrize("url", ["ftp://example.com/", "https:///nohost", "javascript:alert(1)"])
def test_other_schemes_are_refused(production, url):
    with pytest.raises(ValidationError):
        check_url(url)


def test_private_addresses_are_allowed_when_the_setting_says_so(production):
    production.WEBHOOKS_ALLOW_PRIVATE = True
    check_url("https://127.0.0.1/hook")
    check_url("https://localhost/hook")


def test_the_address_is_checked_again_at_every_attempt(company, receiver, subscribe, settings):
    """Saved while loopback was allowed (as a DNS answer could change after saving): the
    attempt is refused, and the receiver never hears of it."""
    subscribe(receiver.url, events=[EventType.DEAL_CREATED])
    factories.make_deal(company.rep1, company.sales)
    dispatch_events()
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    send_deliveries()

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "127.0.0.1" in delivery.error
    assert delivery.response_code is None
