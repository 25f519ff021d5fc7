"""Editing a deal in place on its page."""

import re
from decimal import Decimal

from django.urls import reverse

from deals.models import Deal, DealEvent, Organization
from deals.services.editing import deal_update
from tests.deals.deal_page.helpers import HTMX, _page, _text
from tests.factories import make_deal

# -- editing ------------------------------------------------------------------------------------


def _edit(client, deal, **changes):
    data = {
        "version": deal.version,
        "title": deal.title,
        "value": "" if deal.value is None else str(deal.value),
        "expected_close_date": deal.expected_close_date or "",
        "organization_name": deal.organization.name if deal.organization else "",
        "person_name": deal.person.name if deal.person else "",
        "probability_override": "",
    }
    return client.post(reverse("deal-edit", args=[deal.pk]), {**data, **changes}, **HTMX)


def test_editing_saves_only_changed_fields_each_with_an_event(company, login):
    acme = Organization.objects.create(name="Acme")
    deal = make_deal(company.rep1, company.sales, title="Renewal", value=Decimal("1000"))

    response = _edit(
        login(company.rep1),
        deal,
        value="2500.50",
        organization_name="ACME",  # an existing name, another case: picked, not created
        person_name="Jane Doe",
        probability_override="35",
    )

    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#deal-panel-{deal.pk}"
    assert "Saved." in _text(response)
    deal.refresh_from_db()
    assert deal.value == Decimal("2500.50")
    assert deal.organization == acme
    assert deal.person.name == "Jane Doe"
    assert deal.person.organization == acme
    assert deal.probability_override == 35
    assert deal.version == 2
    edited = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED)
    assert sorted(e.data["field"] for e in edited) == [
        "organization",
        "person",
        "probability_override",
        "value",
    ]
    assert Organization.objects.count() == 1


def test_a_stale_edit_is_refused_clearly_and_changes_nothing(company, login):
    deal = make_deal(company.rep1, company.sales, title="Original")
    seen_version = deal.version
    deal_update(user=company.rep1, deal=deal, version=deal.version, title="Changed elsewhere")
    stale = Deal.objects.get(pk=deal.pk)
    stale.version = seen_version

    response = _edit(login(company.rep1), stale, title="My edit")

    assert response.status_code == 409
    assert "Someone else changed this deal in the meantime" in _text(response)
    assert "Your changes were not saved" in _text(response)
    assert Deal.objects.get(pk=deal.pk).title == "Changed elsewhere"


def test_managers_reassign_within_their_teams_and_reps_are_not_offered_it(company, login):
    deal = make_deal(company.rep1, company.sales)

    rep_page = _page(login(company.rep1), deal)
    assert 'name="owner"' not in rep_page.content.decode()

    client = login(company.manager)
    page = _page(client, deal).content.decode()
    assert 'name="owner"' in page
    assert "Rep3 Test" not in re.search(r'<select name="owner".*?</select>', page, re.S)[0]

    refused = _edit(client, deal, owner=company.rep3.pk)
    assert refused.status_code == 422
    assert Deal.objects.get(pk=deal.pk).owner == company.rep1

    moved = _edit(client, Deal.objects.get(pk=deal.pk), owner=company.rep2.pk)
    assert moved.status_code == 200
    assert Deal.objects.get(pk=deal.pk).owner == company.rep2
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.REASSIGNED).count() == 1
