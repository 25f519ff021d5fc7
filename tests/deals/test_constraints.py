"""Database rules on deals and checklist checks (docs/domain/deals.md).

PostgreSQL refuses a row that breaks a rule even when code bypasses the services (a raw
``update()``), and ``full_clean()`` explains the same rule in a sentence. The composite
foreign key is deferred, so it is observed with ``connection.check_constraints()``, the
check COMMIT runs, inside a savepoint.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from deals.models import ChecklistCheck, Deal, LostReason
from tests import factories

pytestmark = pytest.mark.django_db


def _validation_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def _update(deal: Deal, **fields) -> None:
    """Write past the model and services, as a careless script or a bug would."""
    Deal.objects.filter(pk=deal.pk).update(**fields)


def test_negative_value_is_refused_by_the_database(deal):
    with pytest.raises(IntegrityError, match="deal_value_not_negative"), transaction.atomic():
        _update(deal, value=Decimal("-0.01"))


@pytest.mark.parametrize("value", [None, Decimal(0)], ids=["unknown", "zero"])
def test_unknown_or_zero_value_is_accepted(deal, value):
    _update(deal, value=value)
    deal.refresh_from_db()
    deal.full_clean()
    assert deal.value == value


def test_negative_value_explained_on_the_field(deal):
    deal.value = Decimal("-1.00")

    assert _validation_errors(deal) == {
        "value": ["Ensure this value is greater than or equal to 0."]
    }


def test_probability_override_above_100_is_refused_by_the_database(deal):
    with (
        pytest.raises(IntegrityError, match="deal_probability_override_0_100"),
        transaction.atomic(),
    ):
        _update(deal, probability_override=101)


@pytest.mark.parametrize("override", [None, 0, 100])
def test_probability_override_in_range_or_empty_is_accepted(deal, override):
    _update(deal, probability_override=override)
    deal.refresh_from_db()
    deal.full_clean()
    assert deal.probability_override == override


def test_probability_override_out_of_range_explained_on_the_field(deal):
    deal.probability_override = 101

    assert _validation_errors(deal) == {
        "probability_override": ["Ensure this value is less than or equal to 100."]
    }


def test_second_check_of_the_same_item_is_refused_by_the_database(company, deal):
    item = factories.make_item(company.stages[0])
    ChecklistCheck.objects.create(deal=deal, item=item, checked_at=timezone.now())

    with pytest.raises(IntegrityError, match="check_once_per_deal_item"), transaction.atomic():
        ChecklistCheck.objects.create(deal=deal, item=item, checked_at=timezone.now())


def test_second_check_of_the_same_item_explained_by_full_clean(company, deal):
    item = factories.make_item(company.stages[0])
    ChecklistCheck.objects.create(deal=deal, item=item, checked_at=timezone.now())

    duplicate = ChecklistCheck(
        deal=deal, item=item, checked_by=company.rep1, checked_at=timezone.now()
    )

    assert _validation_errors(duplicate) == {
        NON_FIELD_ERRORS: ["Checklist check with this Deal and Item already exists."]
    }


def test_same_item_may_be_checked_on_two_deals(company, deal):
    item = factories.make_item(company.stages[0])
    other = factories.make_deal(company.rep1, company.sales)

    ChecklistCheck.objects.create(deal=deal, item=item, checked_at=timezone.now())
    ChecklistCheck.objects.create(deal=other, item=item, checked_at=timezone.now())

    assert item.checks.count() == 2


def test_stage_of_another_pipeline_is_refused_by_the_database(company, deal):
    foreign_stage = company.private.stages.first()

    # Two statements on purpose: the composite foreign key is deferred to COMMIT.
    with pytest.raises(IntegrityError, match="deal_stage_in_pipeline"), transaction.atomic():  # noqa: PT012
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE deals_deal SET stage_id = %s WHERE id = %s", [foreign_stage.pk, deal.pk]
            )
        connection.check_constraints()


def test_moving_stage_and_pipeline_together_is_accepted(company, deal):
    """The composite key binds the pair, it does not freeze the pipeline."""
    foreign_stage = company.private.stages.first()

    with transaction.atomic():
        _update(deal, stage=foreign_stage, pipeline=company.private)
        connection.check_constraints()

    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage) == (company.private, foreign_stage)


def test_stage_of_another_pipeline_explained_on_the_stage_field(company, deal):
    deal.stage = company.private.stages.first()

    assert _validation_errors(deal) == {"stage": ["This stage belongs to another pipeline."]}


OPEN_XOR_CLOSED = "An open deal has a board position and no close time; a closed one the reverse."


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "won"},
        {"status": "won", "position": None},
        {"status": "open", "closed_at": "now"},
        {"status": "open", "position": None},
    ],
    ids=["won-still-on-board", "won-without-close-time", "open-with-close-time", "open-off-board"],
)
def test_open_and_closed_deals_stay_consistent(deal, fields):
    fields = {k: timezone.now() if v == "now" else v for k, v in fields.items()}
    for name, value in fields.items():
        setattr(deal, name, value)

    assert _validation_errors(deal) == {NON_FIELD_ERRORS: [OPEN_XOR_CLOSED]}
    with pytest.raises(IntegrityError, match="deal_open_xor_closed"), transaction.atomic():
        _update(deal, **fields)


def test_closed_deal_off_the_board_is_accepted(deal):
    _update(deal, status=Deal.Status.WON, closed_at=timezone.now(), position=None)

    deal.refresh_from_db()
    deal.full_clean()
    assert deal.status == Deal.Status.WON


def test_lost_deal_without_reason_is_refused_by_the_database(deal):
    with pytest.raises(IntegrityError, match="deal_lost_has_reason"), transaction.atomic():
        _update(deal, status=Deal.Status.LOST, closed_at=timezone.now(), position=None)


def test_lost_deal_without_reason_explained_on_the_reason_field(deal):
    deal.status, deal.closed_at, deal.position = Deal.Status.LOST, timezone.now(), None

    assert _validation_errors(deal) == {"lost_reason": ["A lost deal needs a lost reason."]}


def test_lost_deal_with_reason_is_accepted(deal):
    reason = LostReason.objects.create(name="Price")

    _update(
        deal, status=Deal.Status.LOST, closed_at=timezone.now(), position=None, lost_reason=reason
    )

    deal.refresh_from_db()
    deal.full_clean()
    assert deal.lost_reason == reason
