"""The board benchmark's larger sizes (benchmarks/sizes.py, docs/performance/benchmark.md):
deals added in SQL must leave North's board as seed_demo made it and every column's
positions dense, or the benchmark would time a different board at each size."""

from collections import defaultdict

import pytest
from django.core.management import call_command

from accounts.models import Team, User
from benchmarks.sizes import HOME_TEAMS, grow_to
from deals.models import Activity, ChecklistCheck, Deal, DealEvent, StageChange
from deals.selectors.board import board_deals
from deals.selectors.filters import BoardFilters
from pipelines.models import Pipeline

DEMO_DEALS = 120
GROWN = 1_000

pytestmark = pytest.mark.django_db


def north_board() -> list[tuple[int, int, int, int]]:
    """What North's manager sees on the Sales board: (stage, position, deal, version)."""
    return list(
        board_deals(
            pipeline=Pipeline.objects.get(name="Sales"),
            user=User.objects.get(username="manager"),
            filters=BoardFilters(),
        )
        .order_by("stage_id", "position")
        .values_list("stage_id", "position", "pk", "version")
    )


@pytest.fixture
def grown():
    call_command("seed_demo", deals=DEMO_DEALS, seed=1, verbosity=0)
    before = north_board()
    last_demo_deal = Deal.objects.order_by("pk").last().pk
    added = grow_to(GROWN)
    return before, last_demo_deal, added


def test_north_board_is_the_demo_one(grown):
    before, _, added = grown
    assert added == GROWN - DEMO_DEALS
    assert Deal.objects.count() == GROWN
    assert before
    assert north_board() == before


def test_positions_are_dense_per_stage_across_all_teams(grown):
    positions = defaultdict(list)
    for stage, position in Deal.objects.filter(status="open").values_list("stage", "position"):
        positions[stage].append(position)
    assert positions
    for stage, taken in positions.items():
        assert sorted(taken) == list(range(len(taken))), stage


def test_added_deals_belong_to_regional_teams_with_their_history(grown):
    _, last_demo_deal, _ = grown
    added = Deal.objects.filter(pk__gt=last_demo_deal)
    home = User.objects.filter(memberships__team__name__in=HOME_TEAMS)
    assert not added.filter(owner__in=home).exists()
    assert Team.objects.exclude(name__in=HOME_TEAMS).exists()
    assert set(added.values_list("status", flat=True)) == {"open", "won", "lost"}
    for model in (StageChange, DealEvent, Activity):
        with_rows = model.objects.filter(deal__in=added).values("deal").distinct().count()
        assert with_rows == added.count(), model.__name__
    assert ChecklistCheck.objects.filter(deal__in=added).exists()


def test_growing_twice_adds_only_the_difference(grown):
    assert grow_to(GROWN) == 0
    assert grow_to(GROWN + 200) == 200
    assert Deal.objects.count() == GROWN + 200
