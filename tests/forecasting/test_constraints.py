"""Database rules on quotas (docs/domain/deals.md): the database refuses a broken row and
``full_clean()`` explains the rule in a sentence the quota form can show."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from forecasting.models import Quota

pytestmark = pytest.mark.django_db

JUNE = datetime.date(2026, 6, 1)
AMOUNT = Decimal("50000.00")


def _validation_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


@pytest.mark.parametrize("owners", ["both", "neither"])
def test_quota_belongs_to_a_user_or_a_team(company, owners):
    user, team = (company.rep1, company.north) if owners == "both" else (None, None)
    quota = Quota(user=user, team=team, month=JUNE, amount=AMOUNT)

    assert _validation_errors(quota) == {
        NON_FIELD_ERRORS: ["A quota belongs to a user or to a team, not both."]
    }
    with pytest.raises(IntegrityError, match="quota_user_xor_team"), transaction.atomic():
        quota.save()


def test_user_quota_and_team_quota_are_accepted(company):
    for owner in ({"user": company.rep1}, {"team": company.north}):
        quota = Quota(**owner, month=JUNE, amount=AMOUNT)
        quota.full_clean()
        quota.save()

    assert Quota.objects.filter(month=JUNE).count() == 2


def test_quota_month_must_be_the_first_day(company):
    quota = Quota(user=company.rep1, month=datetime.date(2026, 6, 15), amount=AMOUNT)

    assert _validation_errors(quota) == {"month": ["A quota's month is given by its first day."]}
    with pytest.raises(IntegrityError, match="quota_month_first_day"), transaction.atomic():
        quota.save()


def test_negative_quota_is_refused(company):
    quota = Quota(user=company.rep1, month=JUNE, amount=Decimal("-1.00"))

    assert _validation_errors(quota) == {
        "amount": ["Ensure this value is greater than or equal to 0."]
    }
    with pytest.raises(IntegrityError, match="quota_amount_not_negative"), transaction.atomic():
        quota.save()


def test_second_quota_for_one_user_and_month_is_refused(company):
    Quota.objects.create(user=company.rep1, month=JUNE, amount=AMOUNT)
    duplicate = Quota(user=company.rep1, month=JUNE, amount=Decimal("60000.00"))

    assert _validation_errors(duplicate) == {
        NON_FIELD_ERRORS: ["This user already has a quota for that month."]
    }
    with pytest.raises(IntegrityError, match="quota_once_per_user_month"), transaction.atomic():
        duplicate.save()


def test_second_quota_for_one_team_and_month_is_refused(company):
    Quota.objects.create(team=company.north, month=JUNE, amount=AMOUNT)
    duplicate = Quota(team=company.north, month=JUNE, amount=Decimal("60000.00"))

    assert _validation_errors(duplicate) == {
        NON_FIELD_ERRORS: ["This team already has a quota for that month."]
    }
    with pytest.raises(IntegrityError, match="quota_once_per_team_month"), transaction.atomic():
        duplicate.save()


def test_quotas_of_other_months_and_users_are_accepted(company):
    Quota.objects.create(user=company.rep1, month=JUNE, amount=AMOUNT)
    Quota.objects.create(user=company.rep1, month=datetime.date(2026, 7, 1), amount=AMOUNT)
    Quota.objects.create(user=company.rep2, month=JUNE, amount=AMOUNT)

    assert Quota.objects.count() == 3
