"""Stage order under concurrent admin changes, on PostgreSQL
(docs/domain/admin-pages.md, docs/domain/moves.md).

Two admins act on the same pipeline at the same instant (a barrier releases both threads,
each on its own connection). Whatever the interleaving, positions stay unique and dense
and the final order is one that somebody asked for: the stage rows are locked while the
pipeline's order is renumbered.
"""

import threading

import pytest
from django.db import connection

from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import Stage
from pipelines.services import stage_create, stage_shift, stages_reorder

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


def _at_once(*actions) -> list[Exception]:
    """Run ``actions`` in threads released together; return what they raised."""
    barrier = threading.Barrier(len(actions))
    errors: list[Exception] = []

    def run(action):
        try:
            barrier.wait(timeout=10)
            action()
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a reorder hung (deadlock?)"
    return errors


def _order(pipeline) -> list[tuple[int, int]]:
    return list(
        Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("pk", "position")
    )


def test_two_reorders_of_the_same_pipeline_at_once_keep_a_dense_unique_order(company):
    ids = [stage.pk for stage in company.stages]
    reversed_order, rotated = ids[::-1], ids[1:] + ids[:1]

    for _ in range(ROUNDS):
        errors = _at_once(
            lambda: stages_reorder(
                actor=company.admin, pipeline=company.sales, stage_ids=reversed_order
            ),
            lambda: stages_reorder(actor=company.admin, pipeline=company.sales, stage_ids=rotated),
        )

        assert errors == []
        final = _order(company.sales)
        assert [position for _, position in final] == list(range(len(ids)))
        assert [pk for pk, _ in final] in (reversed_order, rotated)


def test_stages_added_while_another_admin_reorders_get_distinct_positions(company):
    """Each new stage goes after the last one, counted under the pipeline's lock: two added
    at once never share a position. A reorder that started before them either runs first
    or is refused as stale; it never renumbers around a stage it did not see."""
    for round_number in range(ROUNDS):
        seen = [pk for pk, _ in _order(company.sales)]
        errors = _at_once(
            lambda order=seen[::-1]: stages_reorder(
                actor=company.admin, pipeline=company.sales, stage_ids=order
            ),
            *(
                lambda name=f"Extra {round_number}{suffix}": stage_create(
                    actor=company.admin, pipeline=company.sales, name=name, probability=50
                )
                for suffix in "ab"
            ),
        )

        assert all(isinstance(error, InvalidRequest) for error in errors), errors
        final = _order(company.sales)
        assert [position for _, position in final] == list(range(len(seen) + 2))


def test_two_admins_pressing_move_up_at_once_move_the_stage_up_twice(company):
    """The second shift reads the order the first one left: no lost update."""
    stage = company.stages[3]

    errors = _at_once(
        lambda: stage_shift(actor=company.admin, stage=stage, offset=-1),
        lambda: stage_shift(actor=company.admin, stage=stage, offset=-1),
    )

    assert errors == []
    final = _order(company.sales)
    assert [position for _, position in final] == list(range(6))
    assert [pk for pk, _ in final].index(stage.pk) == 1
