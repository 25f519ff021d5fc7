"""Moves at the same time on PostgreSQL: real threads, real commits, column locks."""

import threading
import time

import pytest
from django.db import connection, transaction

from deals.models import StageChange
from deals.services.moves import deal_move
from pipelinecrm.exceptions import InvalidRequest, VersionConflict
from tests.deals.moves.helpers import assert_dense, column, make_column
from tests.factories import make_deal, reload

# --- concurrency on PostgreSQL: real threads, real commits -----------------------------


def run_together(*calls):
    """Run each call in its own thread, started at the same moment; return results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_moves_into_the_same_column_at_once_both_land_and_positions_stay_dense(company, sales):
    first = make_column(company.rep1, sales.qualification, 3)
    second = make_column(company.rep1, sales.prospecting, 3)
    target = make_column(company.rep1, sales.meeting, 4)

    results = run_together(
        lambda: deal_move(user=company.rep1, deal=first[1], stage=sales.meeting, version=1),
        lambda: deal_move(
            user=company.rep1, deal=second[0], stage=sales.meeting, version=1, position=2
        ),
    )

    assert all(not isinstance(result, Exception) for result in results), results
    assert set(column(sales.meeting)) == {first[1].pk, second[0].pk} | {d.pk for d in target}
    for stage in (sales.meeting, sales.qualification, sales.prospecting):
        assert_dense(stage)


@pytest.mark.django_db(transaction=True)
def test_the_same_move_from_two_clients_at_once_is_applied_once(company, sales, deal):
    results = run_together(
        lambda: deal_move(user=company.rep1, deal=deal, stage=sales.meeting, version=1),
        lambda: deal_move(user=company.manager, deal=deal, stage=sales.meeting, version=1),
    )

    conflicts = [result for result in results if isinstance(result, VersionConflict)]
    assert len(conflicts) == 1, results
    assert conflicts[0].current_version == 2
    assert reload(deal).version == 2
    assert StageChange.objects.filter(deal=deal, from_stage__isnull=False).count() == 1
    assert_dense(sales.meeting)
    assert_dense(sales.qualification)


def wait_for_a_lock_wait(timeout: float = 10) -> None:
    """Return once another session of the test database waits on a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("no session ever waited for the lock")


@pytest.mark.django_db(transaction=True)
def test_a_move_waiting_for_a_column_sees_the_column_as_it_is_after_the_wait(company, sales):
    # A card leaves Meeting/Demo while another move into Meeting/Demo waits for the column:
    # the waiting move must check its index against the column it will really land in.
    leaving = make_column(company.rep1, sales.meeting, 3)
    arriving = make_deal(company.rep1, sales.pipeline, sales.qualification)
    left, holding = threading.Event(), threading.Event()

    def leave():
        with transaction.atomic():
            deal_move(user=company.rep1, deal=leaving[0], stage=sales.proposal, version=1)
            left.set()
            holding.wait(timeout=10)

    def arrive():
        left.wait(timeout=10)
        # The client saw three cards, so index 3 was the end of the column.
        return deal_move(
            user=company.rep1, deal=arriving, stage=sales.meeting, version=1, position=3
        )

    mover = threading.Thread(target=lambda: run_together(leave))
    mover.start()
    left.wait(timeout=10)
    waiting: list = []
    arriver = threading.Thread(target=lambda: waiting.extend(run_together(arrive)))
    arriver.start()
    wait_for_a_lock_wait()
    holding.set()
    mover.join(timeout=30)
    arriver.join(timeout=30)

    assert isinstance(waiting[0], InvalidRequest), waiting
    assert reload(arriving).stage == sales.qualification
    assert_dense(sales.meeting)
