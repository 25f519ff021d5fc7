"""Quotas: the admin grid and ``quota_for`` (docs/domain/stalls-and-forecast.md).

A quota is a monthly target of a user or a team; a quarter is the sum of its months; a
team without its own quota for a month counts its members' quotas for that month.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from forecasting.calendar import months_between
from forecasting.models import Quota
from forecasting.quota_rules import quota_for
from tests.factories import make_team

pytestmark = pytest.mark.django_db

GRID = reverse("crm_admin:quotas")
JAN, FEB, MAR, APR = (datetime.date(2025, m, 1) for m in (1, 2, 3, 4))


def _quota(owner, month, amount):
    field = "team" if owner.__class__.__name__ == "Team" else "user"
    return Quota.objects.create(**{field: owner}, month=month, amount=Decimal(amount))


def _cell(kind: str, owner, month: int) -> str:
    return f"{kind}-{owner.pk}-{month:02d}"


def _grid_values(client, year=2025) -> dict[str, str]:
    page = client.get(GRID, {"year": year}).content.decode()
    return dict(re.findall(r'name="((?:user|team)-\d+-\d\d)" id="[^"]*"\s+value="([^"]*)"', page))


def _post(client, cells: dict[str, str], year=2025):
    data = dict.fromkeys(_grid_values(client, year), "") | cells
    return client.post(f"{GRID}?year={year}", data)


# -- quota_for -----------------------------------------------------------------------------


def test_quarter_is_the_sum_of_its_months(company):
    _quota(company.rep1, JAN, "1000")
    _quota(company.rep1, FEB, "1500.50")
    _quota(company.rep1, APR, "9999")

    assert quota_for(company.rep1, JAN, datetime.date(2025, 3, 31)) == Decimal("2500.50")
    assert quota_for(company.rep1, MAR, MAR) is None  # no quota: not zero
    assert quota_for(company.rep2, JAN, MAR) is None


def test_team_uses_its_own_quota_else_its_members_month_by_month(company):
    _quota(company.rep1, JAN, "100")
    _quota(company.rep2, JAN, "200")
    _quota(company.rep1, FEB, "100")
    _quota(company.manager, JAN, "50")  # a selling manager's target counts, as their deals do
    _quota(company.manager, FEB, "5000")
    _quota(company.north, FEB, "1000")  # the team's own February target wins
    _quota(company.rep3, MAR, "700")  # South's member

    assert quota_for(company.north, JAN, JAN) == Decimal(350)
    assert quota_for(company.north, FEB, FEB) == Decimal(1000)
    assert quota_for(company.north, JAN, MAR) == Decimal(1350)
    assert quota_for(company.south, JAN, MAR) == Decimal(700)


def test_a_user_in_two_teams_counts_in_both(company):
    west = make_team("West", members=[company.rep1])
    _quota(company.rep1, JAN, "100")

    assert quota_for(west, JAN, JAN) == Decimal(100)
    assert quota_for(company.north, JAN, JAN) == Decimal(100)


def test_months_between_includes_both_ends_and_accepts_any_day():
    assert months_between(datetime.date(2024, 11, 15), datetime.date(2025, 2, 3)) == [
        datetime.date(2024, 11, 1),
        datetime.date(2024, 12, 1),
        datetime.date(2025, 1, 1),
        datetime.date(2025, 2, 1),
    ]


# -- The grid --------------------------------------------------------------------------------


def test_grid_round_trip_saves_amounts_and_shows_them_back(admin_client, company):
    response = _post(
        admin_client,
        {
            _cell("user", company.rep1, 1): "1000",
            _cell("user", company.rep1, 2): "1500.50",
            _cell("user", company.rep1, 3): "2000",
            _cell("team", company.south, 4): "8000",
        },
    )

    assert response.status_code == 302
    assert response.url == f"{GRID}?year=2025"
    saved = Quota.objects.order_by("month").values_list(
        "user__username", "team__name", "month", "amount"
    )
    assert list(saved) == [
        ("rep1", None, JAN, Decimal("1000.00")),
        ("rep1", None, FEB, Decimal("1500.50")),
        ("rep1", None, MAR, Decimal("2000.00")),
        (None, "South", APR, Decimal("8000.00")),
    ]
    values = _grid_values(admin_client)
    assert values[_cell("user", company.rep1, 2)] == "1500.50"
    assert values[_cell("user", company.rep1, 4)] == ""
    page = admin_client.get(GRID, {"year": 2025}).content.decode()
    rep1_row = page[page.index("Rep1 Test</th>") :]
    assert re.search(r'data-testid="q1">4,500.50<', rep1_row)  # the quarter: 1000 + 1500.50 + 2000
    # Another year is empty.
    assert set(_grid_values(admin_client, 2026).values()) == {""}


def test_grid_change_and_blank_clear_quotas_and_are_audited(admin_client, company):
    _quota(company.rep1, JAN, "1000")
    _quota(company.rep1, FEB, "1000")

    _post(
        admin_client,
        {_cell("user", company.rep1, 1): "1200", _cell("user", company.rep1, 2): ""},
    )

    assert list(Quota.objects.values_list("month", "amount")) == [(JAN, Decimal("1200.00"))]
    entry = AuditEntry.objects.get(action="quotas set")
    assert (entry.object_id, entry.actor) == (str(company.rep1.pk), company.admin)
    assert entry.changes == {"2025-01": ["1000.00", "1200"], "2025-02": ["1000.00", None]}


def test_saving_an_unchanged_grid_writes_nothing(admin_client, company):
    _quota(company.rep1, JAN, "1000")

    response = _post(admin_client, _grid_values(admin_client))

    assert response.status_code == 302
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-500", "A quota cannot be negative."),
        ("lots", "Type an amount, like 25000 or 25000.50."),
        ("12.345", "At most two decimals."),
    ],
)
def test_bad_amount_is_refused_at_its_cell_and_nothing_is_saved(
    admin_client, company, typed, message
):
    response = _post(
        admin_client,
        {_cell("user", company.rep1, 1): "1000", _cell("user", company.rep2, 5): typed},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert "Nothing was saved" in page
    cell = _cell("user", company.rep2, 5)
    assert re.search(rf'name="{cell}"[^>]*aria-invalid="true"', page)
    assert f'value="{typed}"' in page  # what the admin typed stays in the cell
    assert not Quota.objects.exists()


def test_team_without_its_own_quota_shows_the_members_sum_as_a_hint(admin_client, company):
    _quota(company.rep1, JAN, "100")
    _quota(company.rep2, JAN, "250")

    page = admin_client.get(GRID, {"year": 2025}).content.decode()

    north_jan = re.search(rf'<input[^>]*name="{_cell("team", company.north, 1)}"[^>]*>', page)[0]
    assert 'placeholder="350"' in north_jan
    assert 'value=""' in north_jan
    north_row = page[page.index("Team North</th>") :]
    assert re.search(r'data-testid="q1">350<', north_row)


def test_grid_lists_active_users_and_every_team(admin_client, company):
    company.rep3.is_active = False
    company.rep3.save()

    page = admin_client.get(GRID, {"year": 2025}).content.decode()

    assert "Rep1 Test</th>" in page
    assert "Rep3 Test</th>" not in page
    assert "Team North</th>" in page
    assert "Team South</th>" in page
    assert 'aria-label="Rep1 Test, January 2025"' in page
