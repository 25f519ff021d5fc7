"""Checklists (docs/domain/checklists.md): which items
hold for a deal, ticking and unticking by hand."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from deals.checklist_rules import items_with_state, move_missing_items
from deals.models import Activity, ChecklistCheck, Deal, DealEvent
from deals.services.checklist import checklist_item_check, checklist_item_uncheck
from deals.services.moves import deal_move
from pipelinecrm.exceptions import Forbidden, InvalidRequest, VersionConflict
from pipelines.models import ChecklistItem, Pipeline
from tests.factories import make_deal, make_item, reload

EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY
ALLOWED = Pipeline.ForwardJumps.ALLOWED
FIELD, ACTIVITY = ChecklistItem.SatisfiedBy.FIELD, ChecklistItem.SatisfiedBy.ACTIVITY


@pytest.fixture
def deal_stage(qualification):
    """``deal`` is rep1's deal in Qualification."""
    return qualification


@pytest.fixture
def item(qualification):
    return make_item(qualification, EXIT, text="Budget confirmed")


def ticked_events(deal: Deal, kind: str = DealEvent.Kind.CHECKLIST_TICKED) -> list[dict]:
    return list(DealEvent.objects.filter(deal=deal, kind=kind).values_list("data", flat=True))


# --- which items hold ------------------------------------------------------------------


def test_items_with_state_evaluates_each_kind_of_item_in_one_query(
    company, qualification, deal, django_assert_num_queries
):
    ticked = make_item(qualification, EXIT, text="Ticked")
    unticked = make_item(qualification, EXIT, text="Unticked")
    value = make_item(qualification, EXIT, satisfied_by=FIELD, field_name="value")
    date = make_item(qualification, EXIT, satisfied_by=FIELD, field_name="expected_close_date")
    call = make_item(qualification, EXIT, satisfied_by=ACTIVITY, activity_kind="call")
    meeting = make_item(qualification, EXIT, satisfied_by=ACTIVITY, activity_kind="meeting")
    ChecklistCheck.objects.create(deal=deal, item=ticked, checked_at=timezone.now())
    Activity.objects.create(
        deal=deal, owner=company.rep1, kind="call", subject="Intro", done_at=timezone.now()
    )
    items = ChecklistItem.objects.filter(stage=qualification).order_by("position")

    with django_assert_num_queries(1):
        state = {item.pk: item.is_satisfied for item in items_with_state(deal=deal, items=items)}

    assert state == {
        ticked.pk: True,
        unticked.pk: False,
        value.pk: True,
        date.pk: False,
        call.pk: True,
        meeting.pk: False,
    }


def test_missing_items_are_the_unsatisfied_required_exit_and_entry_items_in_stage_order(
    company, qualification, deal
):
    meeting_stage = company.stages[2]
    entry = make_item(meeting_stage, ENTRY, text="Meeting booked")
    first = make_item(qualification, EXIT, text="Budget confirmed")
    make_item(qualification, EXIT, text="Optional", is_required=False)
    make_item(qualification, EXIT, text="Archived", is_archived=True)
    make_item(qualification, ENTRY, text="Entry of the current stage")
    make_item(meeting_stage, EXIT, text="Exit of the target")
    make_item(qualification, EXIT, satisfied_by=FIELD, field_name="value")  # deal has a value
    second = make_item(qualification, EXIT, text="Decision maker known")

    missing = move_missing_items(
        deal=deal, from_stage=qualification, to_stage=meeting_stage, forward_jumps=ALLOWED
    )

    assert missing == [first, second, entry]


# --- ticking and unticking -------------------------------------------------------------


def test_ticking_a_manual_item_records_who_and_when_bumps_version_and_writes_an_event(
    company, deal, item
):
    before = timezone.now()

    ticked = checklist_item_check(user=company.rep1, deal=deal, item=item, version=deal.version)

    check = ChecklistCheck.objects.get(deal=deal, item=item)
    assert check.checked_by == company.rep1
    assert check.checked_at >= before
    assert ticked.version == reload(deal).version == 2
    assert ticked_events(deal) == [
        {
            "item": "Budget confirmed",
            "stage": "Qualification",
            "item_id": item.pk,
            "stage_id": item.stage_id,
        }
    ]


def test_ticking_a_ticked_item_changes_nothing(company, deal, item):
    deal = checklist_item_check(user=company.rep1, deal=deal, item=item, version=deal.version)

    again = checklist_item_check(user=company.rep1, deal=deal, item=item, version=deal.version)

    assert again.version == reload(deal).version == 2
    assert ChecklistCheck.objects.filter(deal=deal).count() == 1
    assert len(ticked_events(deal)) == 1


def test_unticking_removes_the_check_bumps_version_and_writes_an_event(company, deal, item):
    deal = checklist_item_check(user=company.rep1, deal=deal, item=item, version=deal.version)

    unticked = checklist_item_uncheck(user=company.rep1, deal=deal, item=item, version=deal.version)

    assert not ChecklistCheck.objects.filter(deal=deal).exists()
    assert unticked.version == reload(deal).version == 3
    assert ticked_events(deal, DealEvent.Kind.CHECKLIST_UNTICKED) == [
        {
            "item": "Budget confirmed",
            "stage": "Qualification",
            "item_id": item.pk,
            "stage_id": item.stage_id,
        }
    ]


def test_unticking_an_unticked_item_changes_nothing(company, deal, item):
    checklist_item_uncheck(user=company.rep1, deal=deal, item=item, version=deal.version)

    assert reload(deal).version == 1
    assert not DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.CHECKLIST_UNTICKED)


def test_ticking_the_next_stages_entry_item_lets_the_deal_move_there(company, deal):
    meeting_stage = company.stages[2]
    entry = make_item(meeting_stage, ENTRY, text="Meeting booked")
    deal = checklist_item_check(user=company.rep1, deal=deal, item=entry, version=deal.version)

    deal_move(user=company.rep1, deal=deal, stage=meeting_stage, version=deal.version)

    assert reload(deal).stage == meeting_stage


@pytest.mark.parametrize(
    ("rule", "hint"),
    [
        ({"satisfied_by": FIELD, "field_name": "value"}, "fill in the deal field"),
        ({"satisfied_by": ACTIVITY, "activity_kind": "meeting"}, "log the activity"),
    ],
)
def test_automatic_items_cannot_be_ticked_or_unticked_by_hand(
    company, qualification, deal, rule, hint
):
    automatic = make_item(qualification, EXIT, **rule)

    for service in (checklist_item_check, checklist_item_uncheck):
        with pytest.raises(InvalidRequest) as refused:
            service(user=company.rep1, deal=deal, item=automatic, version=deal.version)
        assert hint in refused.value.message

    assert not ChecklistCheck.objects.exists()
    assert reload(deal).version == 1


def test_item_of_another_pipeline_cannot_be_ticked(company, deal):
    foreign = make_item(company.private.stages.first(), EXIT, text="Renewal priced")

    with pytest.raises(InvalidRequest):
        checklist_item_check(user=company.rep1, deal=deal, item=foreign, version=deal.version)

    assert not ChecklistCheck.objects.exists()


def test_archived_item_cannot_be_ticked(company, qualification, deal):
    archived = make_item(qualification, EXIT, text="Old rule", is_archived=True)

    with pytest.raises(InvalidRequest):
        checklist_item_check(user=company.rep1, deal=deal, item=archived, version=deal.version)


def test_teammate_who_can_only_see_the_deal_cannot_tick_or_untick(company, qualification, item):
    deal = make_deal(company.rep2, company.sales, qualification)
    ChecklistCheck.objects.create(deal=deal, item=item, checked_at=timezone.now())
    other = make_item(qualification, EXIT, text="Decision maker known")

    with pytest.raises(Forbidden):
        checklist_item_check(user=company.rep1, deal=deal, item=other, version=deal.version)
    with pytest.raises(Forbidden):
        checklist_item_uncheck(user=company.rep1, deal=deal, item=item, version=deal.version)

    assert list(ChecklistCheck.objects.values_list("item", flat=True)) == [item.pk]
    assert reload(deal).version == 1


def test_manager_of_the_owners_team_ticks(company, deal, item):
    checklist_item_check(user=company.manager, deal=deal, item=item, version=deal.version)

    assert ChecklistCheck.objects.get(deal=deal).checked_by == company.manager


def test_ticking_with_a_stale_version_is_a_conflict(company, deal, item):
    Deal.objects.filter(pk=deal.pk).update(version=5)

    with pytest.raises(VersionConflict) as conflict:
        checklist_item_check(user=company.rep1, deal=deal, item=item, version=1)

    assert conflict.value.current_version == 5
    assert not ChecklistCheck.objects.exists()
    assert not ticked_events(deal)


def test_unticking_with_a_stale_version_is_a_conflict(company, deal, item):
    deal = checklist_item_check(user=company.rep1, deal=deal, item=item, version=deal.version)

    with pytest.raises(VersionConflict):
        checklist_item_uncheck(user=company.rep1, deal=deal, item=item, version=1)

    assert ChecklistCheck.objects.filter(deal=deal, item=item).exists()


def test_field_item_follows_the_deal_as_it_is_now(company, qualification):
    item = make_item(qualification, EXIT, satisfied_by=FIELD, field_name="value")
    deal = make_deal(company.rep1, company.sales, qualification, value=None)
    items = ChecklistItem.objects.filter(pk=item.pk)

    assert [i.is_satisfied for i in items_with_state(deal=deal, items=items)] == [False]
    deal.value = Decimal("0.00")
    assert [i.is_satisfied for i in items_with_state(deal=deal, items=items)] == [True]


def test_exit_activity_item_counts_only_activities_done_since_entering_the_stage(
    company, qualification, deal
):
    item = make_item(qualification, EXIT, satisfied_by=ACTIVITY, activity_kind="meeting")
    Activity.objects.create(
        deal=deal,
        owner=company.rep1,
        kind="meeting",
        subject="Before",
        done_at=deal.stage_entered_at - datetime.timedelta(minutes=1),
    )
    items = ChecklistItem.objects.filter(pk=item.pk)

    assert [i.is_satisfied for i in items_with_state(deal=deal, items=items)] == [False]
    Activity.objects.create(
        deal=deal, owner=company.rep1, kind="meeting", subject="After", done_at=timezone.now()
    )
    assert [i.is_satisfied for i in items_with_state(deal=deal, items=items)] == [True]


# --- the same tick from two clients at once (PostgreSQL, real threads) -----------------


def wait_for_lock_waits(count: int, timeout: float = 10) -> None:
    """Return once ``count`` other sessions of the test database wait on a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.01)
    raise AssertionError(f"{count} sessions never waited for a lock")


def in_thread(call, results: list) -> threading.Thread:
    def run():
        try:
            results.append(call())
        except Exception as error:  # the test inspects what each thread got
            results.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("service", [checklist_item_check, checklist_item_uncheck])
def test_the_same_tick_from_two_clients_at_once_is_applied_once(company, deal, item, service):
    # A double click sends no version. Both requests find the item in the same state; the
    # deal is held by a third writer until both have got that far.
    if service is checklist_item_uncheck:
        deal = checklist_item_check(user=company.rep1, deal=deal, item=item)
    version = deal.version
    held, release = threading.Event(), threading.Event()

    def hold_the_deal():
        with transaction.atomic():
            Deal.objects.select_for_update().filter(pk=deal.pk).exists()
            held.set()
            release.wait(timeout=10)

    results: list = []
    holder = in_thread(hold_the_deal, [])
    assert held.wait(timeout=10)
    clients = [
        in_thread(lambda: service(user=company.rep1, deal=reload(deal), item=item), results)
        for _ in range(2)
    ]
    wait_for_lock_waits(2)
    release.set()
    for thread in (holder, *clients):
        thread.join(timeout=30)

    assert not [result for result in results if isinstance(result, Exception)], results
    ticked = service is checklist_item_check
    assert ChecklistCheck.objects.filter(deal=deal, item=item).exists() is ticked
    assert reload(deal).version == version + 1
    kind = DealEvent.Kind.CHECKLIST_TICKED if ticked else DealEvent.Kind.CHECKLIST_UNTICKED
    assert len(ticked_events(deal, kind)) == 1
