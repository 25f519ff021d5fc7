"""Writes a form makes in one step (deals/services/deal_forms.py): all or nothing."""

import pytest

from deals.models import Organization, Person
from deals.services.deal_forms import deal_create_with_contacts, deal_edit_with_contacts
from pipelinecrm.exceptions import Forbidden, VersionConflict
from tests.factories import make_deal, reload


def test_a_new_deal_finds_or_creates_its_contacts(company):
    Organization.objects.create(name="Acme")

    deal = deal_create_with_contacts(
        user=company.rep1,
        title="Acme renewal",
        pipeline=company.sales,
        stage=company.stages[0],
        owner=company.rep1,
        value=None,
        expected_close_date=None,
        organization_name="acme",
        person_name="Ada",
    )

    assert Organization.objects.count() == 1
    assert (deal.organization.name, deal.person.name) == ("Acme", "Ada")
    assert deal.person.organization == deal.organization


def test_an_edit_refused_half_way_leaves_no_contact_and_no_change(company):
    deal = make_deal(company.rep1, company.sales, title="Acme renewal")

    # A rep may edit their deal but not give it away: the reassignment, the last step,
    # refuses after the contacts were created and the fields changed.
    with pytest.raises(Forbidden):
        deal_edit_with_contacts(
            user=company.rep1,
            deal=deal,
            version=deal.version,
            organization_name="Brand new Org",
            person_name="Brand new Person",
            owner=company.rep2,
            title="Renamed",
        )

    assert not Organization.objects.filter(name="Brand new Org").exists()
    assert not Person.objects.filter(name="Brand new Person").exists()
    deal = reload(deal)
    assert (deal.title, deal.owner, deal.version) == ("Acme renewal", company.rep1, 1)


def test_an_edit_and_a_reassignment_check_the_version_seen_once(company):
    deal = make_deal(company.rep1, company.sales)

    edited = deal_edit_with_contacts(
        user=company.manager,
        deal=deal,
        version=1,
        organization_name="",
        person_name="",
        owner=company.rep2,
        title="Renamed",
    )

    assert (edited.title, edited.owner) == ("Renamed", company.rep2)
    with pytest.raises(VersionConflict):
        deal_edit_with_contacts(
            user=company.manager,
            deal=reload(deal),
            version=1,
            organization_name="",
            person_name="",
            title="Stale",
        )
