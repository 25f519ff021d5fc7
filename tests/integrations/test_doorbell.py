"""The dispatcher's doorbell: rung once per transaction that writes timeline events, after
commit, by name (deals never import integrations)."""

from django.db import transaction

from deals.services import events
from deals.services.editing import deal_update
from deals.services.moves import deal_move
from tests import factories


def _rings(callbacks) -> int:
    return sum(1 for callback in callbacks if callback is events._ring)


def test_a_transaction_with_several_events_rings_once(company, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        deal = factories.make_deal(company.rep1, company.sales, title="One")
        deal = deal_update(user=company.rep1, deal=deal, version=None, title="Two")
        deal_update(user=company.rep1, deal=deal, version=None, title="Three")

    assert _rings(callbacks) == 1


def test_a_move_rings_though_it_writes_its_event_inside_one_statement(
    company, django_capture_on_commit_callbacks
):
    deal = factories.make_deal(company.rep1, company.sales, company.stages[0])
    # The deal's creation rang in the test's (never committed) transaction: start afresh.
    transaction.get_connection().run_on_commit.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        deal_move(user=company.rep1, deal=deal, stage=company.stages[1], version=None)

    assert _rings(callbacks) == 1
    assert deal.events.filter(kind="moved", dispatched_at__isnull=True).exists()


def test_a_reorder_writes_no_event_and_rings_nothing(company, django_capture_on_commit_callbacks):
    stage = company.stages[0]
    deal = factories.make_deal(company.rep1, company.sales, stage)
    factories.make_deal(company.rep1, company.sales, stage)
    transaction.get_connection().run_on_commit.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        deal_move(user=company.rep1, deal=deal, stage=stage, version=None, position=1)

    assert _rings(callbacks) == 0
