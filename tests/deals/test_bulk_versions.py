"""Bulk reassign and bulk mark-lost send each deal's version, as single edits do
(docs/hardening/gate-activities.md): a deal changed since the list was shown is refused
with a clear message in the summary and left as it is; the others proceed."""

import html
import re
from decimal import Decimal

from django.contrib.messages import get_messages
from django.urls import reverse

from deals.models import Deal, DealEvent
from deals.services.bulk import NO_VERSION, deals_bulk_mark_lost, deals_bulk_reassign
from deals.services.editing import deal_update
from tests.factories import make_deal, reload

CONFLICT = "Someone else changed this deal in the meantime; nothing was applied."


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _shown_versions(client) -> dict[str, str]:
    """The hidden version fields of the list as the browser would post them."""
    page = client.get(reverse("deals-list")).content.decode()
    return dict(re.findall(r'name="(version-\d+)" value="(\d+)"', html.unescape(page)))


def _edit_meanwhile(deal: Deal, user) -> None:
    deal_update(user=user, deal=reload(deal), version=deal.version, value=Decimal("1234.00"))


def test_the_list_carries_each_deals_version(company, login):
    deal = make_deal(company.rep1, company.sales)
    _edit_meanwhile(deal, company.rep1)

    assert _shown_versions(login(company.rep1)) == {f"version-{deal.pk}": "2"}


def test_bulk_reassign_refuses_a_deal_changed_since_the_list_was_shown(company, login):
    stale = make_deal(company.rep1, company.sales, title="Stale")
    fresh = make_deal(company.rep2, company.sales, title="Fresh")
    client = login(company.manager)
    shown = _shown_versions(client)
    _edit_meanwhile(stale, company.rep1)

    response = client.post(
        reverse("deals-bulk"),
        {"action": "reassign", "owner": company.manager.pk, "deal": [stale.pk, fresh.pk], **shown},
    )

    messages = _messages(response)
    assert "Reassigned 1 deal to Manager Test." in messages
    assert "1 deal refused; nothing changed on them:" in messages
    assert any(m.startswith(f"“Stale”: {CONFLICT}") for m in messages)
    assert reload(stale).owner == company.rep1
    assert reload(fresh).owner == company.manager


def test_bulk_mark_lost_refuses_a_deal_changed_since_the_list_was_shown(company, login, price):
    stale = make_deal(company.rep1, company.sales, title="Stale")
    fresh = make_deal(company.rep1, company.sales, title="Fresh")
    client = login(company.rep1)
    shown = _shown_versions(client)
    _edit_meanwhile(stale, company.manager)

    response = client.post(
        reverse("deals-bulk"),
        {"action": "lost", "reason": price.pk, "deal": [stale.pk, fresh.pk], **shown},
    )

    messages = _messages(response)
    assert "Marked 1 deal as lost." in messages
    assert any(m.startswith(f"“Stale”: {CONFLICT}") for m in messages)
    assert reload(stale).status == Deal.Status.OPEN
    assert reload(fresh).status == Deal.Status.LOST


def test_a_selected_deal_without_a_version_is_refused_alone(company, login, price):
    unversioned = make_deal(company.rep1, company.sales, title="Unversioned")
    versioned = make_deal(company.rep1, company.sales, title="Versioned")

    response = login(company.rep1).post(
        reverse("deals-bulk"),
        {
            "action": "lost",
            "reason": price.pk,
            "deal": [unversioned.pk, versioned.pk],
            f"version-{versioned.pk}": versioned.version,
        },
    )

    assert f"“Unversioned”: {NO_VERSION}" in _messages(response)
    assert reload(unversioned).status == Deal.Status.OPEN
    assert reload(versioned).status == Deal.Status.LOST


def test_the_reassign_service_applies_current_versions_and_refuses_stale_ones(company):
    stale = make_deal(company.rep1, company.sales, title="Stale")
    fresh = make_deal(company.rep1, company.sales, title="Fresh")
    seen = {stale.pk: stale.version, fresh.pk: fresh.version}
    _edit_meanwhile(stale, company.rep1)

    outcome = deals_bulk_reassign(
        user=company.manager, deals=[stale, fresh], versions=seen, new_owner=company.rep2
    )

    assert [deal.pk for deal in outcome.done] == [fresh.pk]
    assert [(deal.pk, reason.split(";")[0]) for deal, reason in outcome.refused] == [
        (stale.pk, "Someone else changed this deal in the meantime")
    ]
    assert reload(stale).owner == company.rep1
    assert not DealEvent.objects.filter(deal=stale, kind=DealEvent.Kind.REASSIGNED).exists()


def test_the_mark_lost_service_applies_current_versions_and_refuses_stale_ones(company, price):
    stale = make_deal(company.rep1, company.sales, title="Stale")
    fresh = make_deal(company.rep1, company.sales, title="Fresh")
    seen = {stale.pk: stale.version, fresh.pk: fresh.version}
    _edit_meanwhile(stale, company.rep1)

    outcome = deals_bulk_mark_lost(
        user=company.rep1, deals=[stale, fresh], versions=seen, reason=price
    )

    assert [deal.pk for deal in outcome.done] == [fresh.pk]
    assert [deal.pk for deal, _ in outcome.refused] == [stale.pk]
    assert reload(stale).status == Deal.Status.OPEN
    assert reload(stale).lost_reason is None
