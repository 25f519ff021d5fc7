"""Database rules on stages and checklist items (docs/domain/deals.md).

Each rule is checked twice: PostgreSQL refuses the row even when code bypasses the model
(a raw ``update()``), and ``full_clean()`` explains the same rule in a sentence a form can
show. Deferred constraints are only checked at commit; ``connection.check_constraints()``
runs that check early (``SET CONSTRAINTS ALL IMMEDIATE``) inside a savepoint.
"""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction

from pipelines.models import ChecklistItem, Stage
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return factories.make_pipeline("Sales")


@pytest.fixture
def stages(pipeline):
    return list(pipeline.stages.order_by("position"))


def _validation_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


@pytest.mark.parametrize("probability", [0, 100])
def test_stage_probability_bounds_are_accepted(stages, probability):
    Stage.objects.filter(pk=stages[0].pk).update(probability=probability)
    stages[0].refresh_from_db()
    stages[0].full_clean()
    assert stages[0].probability == probability


def test_stage_probability_above_100_is_refused_by_the_database(stages):
    with pytest.raises(IntegrityError, match="stage_probability_0_100"), transaction.atomic():
        Stage.objects.filter(pk=stages[0].pk).update(probability=101)


def test_stage_probability_below_0_is_refused_by_the_database(stages):
    with pytest.raises(IntegrityError, match="probability"), transaction.atomic():
        Stage.objects.filter(pk=stages[0].pk).update(probability=-1)


def test_stage_probability_out_of_range_explained_on_the_field(stages):
    stages[0].probability = 101

    errors = _validation_errors(stages[0])

    assert errors == {"probability": ["Ensure this value is less than or equal to 100."]}


def test_stage_stall_threshold_of_zero_is_refused_by_the_database(stages):
    with (
        pytest.raises(IntegrityError, match="stage_stall_threshold_positive"),
        transaction.atomic(),
    ):
        Stage.objects.filter(pk=stages[0].pk).update(stall_threshold_days=0)


@pytest.mark.parametrize("days", [None, 1])
def test_stage_stall_threshold_empty_or_one_day_is_accepted(stages, days):
    Stage.objects.filter(pk=stages[0].pk).update(stall_threshold_days=days)
    stages[0].refresh_from_db()
    stages[0].full_clean()
    assert stages[0].stall_threshold_days == days


def test_stage_stall_threshold_of_zero_explained_on_the_field(stages):
    stages[0].stall_threshold_days = 0

    errors = _validation_errors(stages[0])

    assert errors == {"stall_threshold_days": ["Ensure this value is greater than or equal to 1."]}


def test_two_stages_may_swap_positions_inside_one_transaction(stages):
    """The position constraint is deferred: a reorder may pass through a duplicate."""
    first, second = stages[0], stages[1]

    with transaction.atomic():
        Stage.objects.filter(pk=first.pk).update(position=1)  # collides with `second` for now
        Stage.objects.filter(pk=second.pk).update(position=0)
        connection.check_constraints()  # what COMMIT checks; nothing is raised

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.position, second.position) == (1, 0)


def test_duplicate_stage_position_fails_when_the_transaction_ends(stages):
    # Two statements on purpose: the deferred UPDATE passes, the check COMMIT runs refuses it.
    with (  # noqa: PT012
        pytest.raises(IntegrityError, match="stage_position_unique_per_pipeline"),
        transaction.atomic(),
    ):
        Stage.objects.filter(pk=stages[1].pk).update(position=0)
        connection.check_constraints()


@pytest.mark.django_db(transaction=True)
def test_duplicate_stage_position_is_refused_at_commit():
    """The same rule through a real COMMIT, not the early check of the test above."""
    first, second = factories.make_pipeline("Sales").stages.order_by("position")[:2]

    with (
        pytest.raises(IntegrityError, match="stage_position_unique_per_pipeline"),
        transaction.atomic(),
    ):
        Stage.objects.filter(pk=second.pk).update(position=first.position)

    second.refresh_from_db()
    assert second.position == 1


def test_same_position_in_another_pipeline_is_accepted(stages):
    other = factories.make_pipeline("Renewals", stages=[("Due", 50)])

    with transaction.atomic():
        Stage.objects.create(pipeline=other, name="Renewed", position=1, probability=90)
        connection.check_constraints()

    assert other.stages.filter(position=stages[1].position).exists()


def test_duplicate_stage_position_explained_by_full_clean(pipeline):
    duplicate = Stage(pipeline=pipeline, name="Elsewhere", position=0, probability=5)

    errors = _validation_errors(duplicate)

    assert errors == {NON_FIELD_ERRORS: ["Stage with this Pipeline and Position already exists."]}


def test_duplicate_active_stage_name_is_refused_by_the_database(pipeline):
    with (
        pytest.raises(IntegrityError, match="stage_name_unique_per_pipeline"),
        transaction.atomic(),
    ):
        # Case differs: "proposal" and "Proposal" would read as the same column on the board.
        Stage.objects.create(pipeline=pipeline, name="proposal", position=10, probability=60)


def test_duplicate_active_stage_name_explained_by_full_clean(pipeline):
    duplicate = Stage(pipeline=pipeline, name="Proposal", position=10, probability=60)

    errors = _validation_errors(duplicate)

    assert errors == {NON_FIELD_ERRORS: ["This pipeline already has a stage with that name."]}


def test_archived_stage_frees_its_name(pipeline, stages):
    """An archived stage stays for reports; a new stage may reuse its name."""
    Stage.objects.filter(pk=stages[3].pk).update(is_archived=True)

    replacement = Stage(pipeline=pipeline, name="Proposal", position=10, probability=65)
    replacement.full_clean()
    replacement.save()

    assert pipeline.stages.filter(name="Proposal").count() == 2


def test_same_stage_name_in_another_pipeline_is_accepted(pipeline):
    other = factories.make_pipeline("Renewals", stages=[("Proposal", 50)])

    assert other.stages.get().name == "Proposal"


FIELD_MISSING = "Choose the deal field that satisfies this item."
KIND_MISSING = "Choose the kind of activity that satisfies this item."
FIELD_UNEXPECTED = "Only items satisfied by a field name one."
KIND_UNEXPECTED = "Only items satisfied by an activity name a kind."


@pytest.mark.parametrize(
    ("rule", "expected_errors"),
    [
        ({"satisfied_by": "field"}, {"field_name": [FIELD_MISSING]}),
        ({"satisfied_by": "activity"}, {"activity_kind": [KIND_MISSING]}),
        ({"satisfied_by": "manual", "field_name": "value"}, {"field_name": [FIELD_UNEXPECTED]}),
        (
            {"satisfied_by": "manual", "activity_kind": "meeting"},
            {"activity_kind": [KIND_UNEXPECTED]},
        ),
        (
            {"satisfied_by": "field", "field_name": "value", "activity_kind": "meeting"},
            {"activity_kind": [KIND_UNEXPECTED]},
        ),
    ],
    ids=[
        "field-without-field-name",
        "activity-without-kind",
        "manual-with-field-name",
        "manual-with-activity-kind",
        "field-with-activity-kind",
    ],
)
def test_inconsistent_checklist_rule_is_refused(stages, rule, expected_errors):
    item = ChecklistItem(stage=stages[0], kind="exit", text="Budget confirmed", position=0, **rule)

    assert _validation_errors(item) == expected_errors
    with (
        pytest.raises(IntegrityError, match="checklist_item_rule_consistent"),
        transaction.atomic(),
    ):
        item.save()


@pytest.mark.parametrize(
    "rule",
    [
        {"satisfied_by": ChecklistItem.SatisfiedBy.MANUAL},
        {"satisfied_by": ChecklistItem.SatisfiedBy.FIELD, "field_name": "expected_close_date"},
        {"satisfied_by": ChecklistItem.SatisfiedBy.ACTIVITY, "activity_kind": "meeting"},
    ],
    ids=["manual", "field", "activity"],
)
def test_consistent_checklist_rules_are_accepted(stages, rule):
    item = factories.make_item(stages[0], **rule)

    item.full_clean()
    assert ChecklistItem.objects.filter(pk=item.pk).exists()
