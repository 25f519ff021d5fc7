"""Editing a deal's fields and reassigning it (docs/domain/deals.md)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from deals.models import Deal, DealEvent, Organization
from deals.services.editing import deal_reassign, deal_update
from pipelinecrm.exceptions import Forbidden, VersionConflict
from pipelines.models import Pipeline
from tests.factories import make_deal, reload


def edited_events(deal: Deal) -> list[dict]:
    events = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED).order_by("id")
    return list(events.values_list("data", flat=True))


def forecast_is_dirty(deal: Deal) -> bool:
    return Pipeline.objects.get(pk=deal.pipeline_id).forecast_dirty_since is not None


@pytest.fixture
def deal(deal):
    """rep1's deal worth 1000.00, with the forecast freshly computed."""
    Pipeline.objects.update(forecast_dirty_since=None)
    return deal


# --- deal_update -----------------------------------------------------------------------


def test_update_writes_one_edited_event_per_changed_field_with_old_and_new(company, deal):
    acme = Organization.objects.create(name="Acme")

    updated = deal_update(
        user=company.rep1,
        deal=deal,
        version=1,
        title="Acme renewal",  # unchanged: no event
        value=Decimal("2500.00"),
        organization=acme,
        expected_close_date=datetime.date(2030, 3, 31),
    )

    saved = reload(deal)
    assert (saved.value, saved.organization, saved.expected_close_date) == (
        Decimal("2500.00"),
        acme,
        datetime.date(2030, 3, 31),
    )
    assert saved.version == updated.version == 2
    assert edited_events(deal) == [
        {"field": "value", "old": "1000.00", "new": "2500.00"},
        {"field": "organization", "old": "", "new": "Acme"},
        {"field": "expected_close_date", "old": "", "new": "2030-03-31"},
    ]
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED).first().user == (
        company.rep1
    )
    assert forecast_is_dirty(deal)


def test_clearing_a_field_is_recorded_as_old_to_empty(company, deal):
    deal_update(user=company.rep1, deal=deal, version=1, value=None)

    assert reload(deal).value is None
    assert edited_events(deal) == [{"field": "value", "old": "1000.00", "new": ""}]


def test_update_without_changes_writes_nothing(company, deal):
    deal_update(user=company.rep1, deal=deal, version=1, title="Acme renewal")

    assert reload(deal).version == 1
    assert not edited_events(deal)


def test_renaming_does_not_ask_for_a_forecast_recompute(company, deal):
    deal_update(user=company.rep1, deal=deal, version=1, title="Acme renewal 2031")

    assert reload(deal).title == "Acme renewal 2031"
    assert not forecast_is_dirty(deal)


@pytest.mark.parametrize(
    "change",
    [
        {"value": Decimal("-1.00")},
        {"probability_override": 101},
        {"title": ""},
        {"title": "New title", "value": Decimal("-5.00")},
    ],
)
def test_invalid_update_raises_validation_error_and_saves_nothing(company, deal, change):
    with pytest.raises(ValidationError):
        deal_update(user=company.rep1, deal=deal, version=1, **change)

    saved = reload(deal)
    assert (saved.title, saved.value, saved.version) == ("Acme renewal", Decimal("1000.00"), 1)
    assert not edited_events(deal)


@pytest.mark.parametrize("field", ["stage", "owner", "status", "is_stalled", "position"])
def test_fields_outside_the_edit_form_are_refused(company, deal, field):
    with pytest.raises(ValidationError, match=field):
        deal_update(user=company.rep1, deal=deal, version=1, **{field: None})

    assert reload(deal).version == 1


def test_update_with_a_stale_version_is_a_conflict_and_saves_nothing(company, deal):
    deal_update(user=company.rep1, deal=deal, version=1, title="First edit")

    with pytest.raises(VersionConflict) as conflict:
        deal_update(user=company.rep1, deal=reload(deal), version=1, value=Decimal("1.00"))

    assert conflict.value.current_version == 2
    assert reload(deal).value == Decimal("1000.00")
    assert len(edited_events(deal)) == 1


def test_teammate_who_can_only_see_the_deal_cannot_edit_it(company):
    deal = make_deal(company.rep2, company.sales, title="Rep2's deal")

    with pytest.raises(Forbidden):
        deal_update(user=company.rep1, deal=deal, version=1, title="Mine now")

    assert reload(deal).title == "Rep2's deal"


def test_manager_of_the_owners_team_edits(company, deal):
    deal_update(user=company.manager, deal=deal, version=1, probability_override=55)

    assert reload(deal).probability_override == 55
    assert DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.EDITED).user == company.manager


# --- deal_reassign (deals/access.py::can_reassign_to) ----------------------------------


@pytest.mark.parametrize(
    ("actor", "owner", "new_owner"),
    [
        ("manager", "rep1", "rep2"),  # within the team they manage
        ("manager", "rep1", "manager"),  # to themselves
        ("admin", "rep1", "rep3"),  # admins: to any active user
        ("admin", "rep3", "manager"),
        ("manager2", "rep3", "manager2"),
    ],
)
def test_allowed_reassignment_changes_owner_and_records_it(company, actor, owner, new_owner):
    deal = make_deal(getattr(company, owner), company.sales)
    Pipeline.objects.update(forecast_dirty_since=None)

    deal_reassign(
        user=getattr(company, actor),
        deal=deal,
        new_owner=getattr(company, new_owner),
        version=deal.version,
    )

    saved = reload(deal)
    assert saved.owner == getattr(company, new_owner)
    assert saved.version == 2
    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.REASSIGNED)
    assert (event.user, event.data) == (
        getattr(company, actor),
        {"old": owner, "new": new_owner},
    )
    assert forecast_is_dirty(deal)


@pytest.mark.parametrize(
    ("actor", "owner", "new_owner"),
    [
        ("rep1", "rep1", "rep2"),  # reps cannot reassign, even their own deals
        ("manager", "rep1", "rep3"),  # rep3 is not in a team the manager manages
        ("manager", "rep1", "manager2"),
        ("manager", "rep3", "rep1"),  # rep3's deal is not the manager's to give away
        ("manager2", "rep1", "rep3"),
    ],
)
def test_refused_reassignment_changes_nothing(company, actor, owner, new_owner):
    deal = make_deal(getattr(company, owner), company.sales)

    with pytest.raises(Forbidden):
        deal_reassign(
            user=getattr(company, actor),
            deal=deal,
            new_owner=getattr(company, new_owner),
            version=deal.version,
        )

    assert reload(deal).owner == getattr(company, owner)
    assert reload(deal).version == 1
    assert not DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.REASSIGNED)


@pytest.mark.parametrize("actor", ["admin", "manager"])
def test_nobody_reassigns_to_a_deactivated_user(company, deal, actor):
    User.objects.filter(pk=company.rep2.pk).update(is_active=False)
    company.rep2.refresh_from_db()

    with pytest.raises(Forbidden):
        deal_reassign(user=getattr(company, actor), deal=deal, new_owner=company.rep2, version=1)

    assert reload(deal).owner == company.rep1


def test_reassigning_to_the_current_owner_changes_nothing(company, deal):
    deal_reassign(user=company.manager, deal=deal, new_owner=company.rep1, version=1)

    assert reload(deal).version == 1
    assert not DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.REASSIGNED)


def test_reassigning_with_a_stale_version_is_a_conflict(company, deal):
    deal_update(user=company.rep1, deal=deal, version=1, title="Edited meanwhile")

    with pytest.raises(VersionConflict):
        deal_reassign(user=company.manager, deal=deal, new_owner=company.rep2, version=1)

    assert reload(deal).owner == company.rep1
