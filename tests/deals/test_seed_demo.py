"""`manage.py seed_demo` (docs/running.md): the demo company, and history that obeys the
move rules (docs/domain/moves.md).

Seeding bulk-inserts instead of calling deal_move, so these tests replay the move rules over
the seeded history: board positions, closing, stage changes, checklists and overrides.
"""

import datetime
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
from deals.demo import catalogue
from deals.demo.catalogue import Workforce
from deals.models import (
    Activity,
    Deal,
    LostReason,
    Organization,
    Person,
    StageChange,
)
from pipelines import custom_fields as custom_types
from pipelines.models import ChecklistItem, Pipeline
from pipelines.selectors import custom_fields_for
from tests import factories
from tests.deals.seed_demo_rules import (
    assert_events_match_history,
    assert_last_activity_is_latest_done_activity,
    assert_moves_obey_checklists,
    assert_refusals_are_consistent,
    assert_stage_history_is_consistent,
)

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-demo-pass"
SALES_STAGES = [
    ("Prospecting", 10, 14),
    ("Qualification", 20, 14),
    ("Meeting/Demo", 40, 10),
    ("Proposal", 60, 10),
    ("Negotiation", 80, 7),
    ("Contract sent", 90, 7),
]
BASE_DIR = Path(__file__).resolve().parents[2]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded():
    return seed("--deals", "80", "--seed", "7", "--password", PASSWORD)


def deal_tuples() -> list[tuple]:
    return list(
        Deal.objects.order_by("id").values_list(
            "title", "value", "stage__name", "owner__username", "status"
        )
    )


# -- People and pipelines --------------------------------------------------------------------


def test_demo_users_have_their_roles_and_realistic_names(seeded):
    users = {user.username: user for user in User.objects.all()}

    assert {name: user.role for name, user in users.items()} == {
        "admin": Role.ADMIN,
        "manager": Role.MANAGER,
        "manager2": Role.MANAGER,
        "rep1": Role.REP,
        "rep2": Role.REP,
        "rep3": Role.REP,
    }
    assert users["admin"].is_staff
    assert users["admin"].is_superuser
    assert not any(u.is_staff or u.is_superuser for n, u in users.items() if n != "admin")
    for user in users.values():
        assert user.first_name
        assert user.last_name
        assert user.first_name != user.username
        assert "@" in user.email
        assert user.is_active


def test_teams_north_and_south_have_their_managers_and_members(seeded):
    def roster(team_name):
        team = Team.objects.get(name=team_name)
        return {
            kind: set(team.memberships.filter(kind=kind).values_list("user__username", flat=True))
            for kind in TeamMembership.Kind.values
        }

    assert Team.objects.count() == 2
    assert roster("North") == {"manager": {"manager"}, "member": {"rep1", "rep2"}}
    assert roster("South") == {"manager": {"manager2"}, "member": {"rep3"}}


def test_every_demo_user_signs_in_with_the_given_password(seeded, client):
    for username in ("admin", "manager", "manager2", "rep1", "rep2", "rep3"):
        client.logout()
        response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, username
        assert int(client.session["_auth_user_id"]) == User.objects.get(username=username).pk


def test_sales_pipeline_has_the_stages_probabilities_and_stall_thresholds(seeded):
    sales = Pipeline.objects.get(name="Sales")

    stages = sales.stages.order_by("position")
    assert sales.visibility == Pipeline.Visibility.TEAM
    assert [(s.name, s.probability, s.stall_threshold_days) for s in stages] == SALES_STAGES
    assert [s.position for s in stages] == list(range(6))
    assert all(s.guidance for s in stages)


def test_sales_checklists_mix_entry_exit_required_optional_and_every_rule(seeded):
    items = ChecklistItem.objects.filter(stage__pipeline__name="Sales")

    assert set(items.values_list("kind", flat=True)) == {"entry", "exit"}
    assert set(items.values_list("is_required", flat=True)) == {True, False}
    assert set(items.values_list("satisfied_by", flat=True)) == {
        "manual",
        "field",
        "activity",
        "custom_field",
    }
    budget = items.get(satisfied_by="custom_field")
    assert (budget.text, budget.custom_field.key, budget.condition) == (
        "Budget confirmed",
        "budget_confirmed",
        "yes",
    )
    assert set(items.filter(satisfied_by="field").values_list("field_name", flat=True)) == {
        "value",
        "expected_close_date",
        "organization",
        "person",
    }
    assert items.filter(satisfied_by="activity", activity_kind="meeting", is_required=True)
    for item in items:
        item.full_clean()  # satisfied_by, field_name and activity_kind agree


def test_renewals_pipeline_is_small_and_owner_only(seeded):
    renewals = Pipeline.objects.get(name="Renewals")

    assert renewals.visibility == Pipeline.Visibility.OWNER
    assert 3 <= renewals.stages.count() <= 4
    assert ChecklistItem.objects.filter(stage__pipeline=renewals).exists()
    assert Pipeline.objects.count() == 2


def test_lost_reasons_are_the_usual_list(seeded):
    assert list(LostReason.objects.values_list("name", flat=True)) == [
        "Price",
        "Competitor",
        "No budget",
        "Timing",
        "No decision",
    ]


def test_organizations_and_people_look_real(seeded):
    assert Organization.objects.count() >= 12
    assert Person.objects.count() >= Organization.objects.count()
    for person in Person.objects.select_related("organization"):
        assert " " in person.name
        assert person.email.endswith("@" + person.organization.domain)


# -- The deals -------------------------------------------------------------------------------


def test_deals_are_spread_over_owners_pipelines_and_statuses(seeded):
    deals = Deal.objects.all()

    assert deals.count() == 80
    assert set(deals.values_list("owner__username", flat=True)) == {
        "rep1",
        "rep2",
        "rep3",
        "manager",
        "manager2",
    }
    assert set(deals.values_list("pipeline__name", flat=True)) == {"Sales", "Renewals"}
    assert set(deals.values_list("status", flat=True)) == {"open", "won", "lost"}
    assert deals.filter(value__isnull=True).exists()
    assert deals.filter(value__gt=0).count() > 60


def test_open_deals_close_in_the_past_this_month_later_or_unknown(seeded):
    today = timezone.localdate()
    dates = list(Deal.objects.filter(status="open").values_list("expected_close_date", flat=True))

    assert None in dates
    known = [d for d in dates if d is not None]
    assert any(d < today for d in known)
    assert any((d.year, d.month) == (today.year, today.month) for d in known)
    assert any(d > today + datetime.timedelta(days=14) for d in known)


def test_open_deals_have_dense_positions_per_stage(seeded):
    open_deals = Deal.objects.filter(status=Deal.Status.OPEN)

    for stage_id in set(open_deals.values_list("stage_id", flat=True)):
        positions = list(
            open_deals.filter(stage_id=stage_id)
            .order_by("position", "id")
            .values_list("position", flat=True)
        )
        assert positions == list(range(len(positions)))


def test_closed_deals_have_no_position_and_a_close_time_after_their_last_move(seeded):
    closed = Deal.objects.exclude(status=Deal.Status.OPEN)

    assert closed.exists()
    assert not closed.filter(position__isnull=False).exists()
    assert not closed.filter(closed_at__isnull=True).exists()
    for deal in closed:
        last_change = deal.stage_changes.order_by("changed_at").last()
        assert deal.closed_at > last_change.changed_at
        assert deal.closed_at <= timezone.now()


def test_lost_deals_have_a_reason_and_open_ones_no_close_time(seeded):
    assert not Deal.objects.filter(status="lost", lost_reason__isnull=True).exists()
    assert not Deal.objects.exclude(status="lost").filter(lost_reason__isnull=False).exists()
    assert not Deal.objects.filter(status="open", closed_at__isnull=False).exists()


def test_every_deal_stage_belongs_to_its_pipeline_and_version_is_positive(seeded):
    assert not Deal.objects.exclude(stage__pipeline=F("pipeline")).exists()
    assert not Deal.objects.filter(version__lt=1).exists()
    for deal in Deal.objects.all():
        deal.full_clean()


def test_stage_history_runs_from_creation_through_the_current_stage(seeded):
    assert_stage_history_is_consistent(Deal.objects.all())


def test_forward_moves_had_their_checklist_done_or_a_written_override(seeded):
    assert_moves_obey_checklists(Deal.objects.all())
    assert StageChange.objects.exclude(override_reason="").exists()


def test_move_refusals_name_items_missing_at_that_moment(seeded):
    assert_refusals_are_consistent(Deal.objects.all())


def test_activities_are_done_in_the_past_or_scheduled_and_set_last_activity(seeded):
    now = timezone.now()
    done = Activity.objects.filter(done_at__isnull=False)

    assert not done.filter(done_at__gt=now).exists()
    assert Activity.objects.filter(done_at__isnull=True, due_at__gt=now).exists()  # upcoming
    assert Activity.objects.filter(done_at__isnull=True, due_at__lt=now).exists()  # overdue
    assert_last_activity_is_latest_done_activity(Deal.objects.all())


def test_timeline_events_match_history_and_version_counts_the_writes(seeded):
    assert_events_match_history(Deal.objects.all())


def test_deals_hold_custom_field_values_of_their_types_and_their_checklist(seeded):
    fields = {field.key: field for field in custom_fields_for(None)}
    assert len(fields) == 9
    deals = list(Deal.objects.select_related("stage", "pipeline"))
    assert sum(bool(deal.custom_fields) for deal in deals) > 0.8 * len(deals)
    for deal in deals:
        for key, stored in deal.custom_fields.items():
            field = fields[key]
            assert field.pipeline_id in (None, deal.pipeline_id), (deal, key)
            clean = custom_types.clean(field, custom_types.to_python(field, stored))
            assert custom_types.to_stored(field, clean) == stored, (deal, key)
    # Every Sales deal that reached Proposal entered it with "Budget confirmed" yes.
    proposal = [d for d in deals if d.pipeline.name == "Sales" and d.stage.position >= 3]
    assert proposal
    assert all(deal.custom_fields.get("budget_confirmed") is True for deal in proposal)


def test_some_open_deals_are_stall_candidates_but_none_is_flagged_yet(seeded):
    now = timezone.now()
    candidates = 0
    for deal in Deal.objects.filter(status="open").select_related("stage"):
        last_touch = max(deal.stage_entered_at, deal.last_activity_at or deal.stage_entered_at)
        threshold = datetime.timedelta(days=deal.stage.stall_threshold_days)
        candidates += now - last_touch > threshold

    assert candidates > 0
    assert f"{candidates} open deals are past their stall threshold" in seeded
    assert not Deal.objects.filter(is_stalled=True).exists()
    assert not Deal.objects.filter(stalled_since__isnull=False).exists()


def test_the_summary_names_the_counts_and_the_logins(seeded):
    assert "80 deals" in seeded
    assert f"{StageChange.objects.count()} stage changes" in seeded
    assert "Sign in as admin, manager, manager2, rep1, rep2, rep3" in seeded
    assert PASSWORD not in seeded  # a chosen password is not echoed into logs


def test_a_thousand_deals_obey_every_rule():
    seed("--deals", "1000", "--seed", "11", "--password", PASSWORD)
    deals = Deal.objects.all()

    assert deals.count() == 1000
    assert_stage_history_is_consistent(deals)
    assert_moves_obey_checklists(deals)
    assert_refusals_are_consistent(deals)
    assert_last_activity_is_latest_done_activity(deals)
    assert_events_match_history(deals)
    for stage_id in set(deals.filter(status="open").values_list("stage_id", flat=True)):
        positions = deals.filter(status="open", stage_id=stage_id).order_by("position", "id")
        assert list(positions.values_list("position", flat=True)) == list(range(positions.count()))


def test_a_bigger_company_has_more_people_not_busier_ones():
    assert Workforce.for_deals(catalogue.DEALS_PER_TEAM).teams == catalogue.TEAMS

    workforce = Workforce.for_deals(3 * catalogue.DEALS_PER_TEAM + 1)

    regions = {name: team for name, team in workforce.teams.items() if name not in catalogue.TEAMS}
    assert sorted(regions) == ["Region 1", "Region 2", "Region 3"]
    usernames = [spec.username for spec in workforce.users]
    assert len(usernames) == len(set(usernames)) == len(catalogue.USERS) + 3 * 4
    roles = {spec.username: spec.role for spec in workforce.users}
    for manager, reps in regions.values():
        assert roles[manager] == Role.MANAGER
        assert [roles[rep] for rep in reps] == [Role.REP] * 3
    # The named people keep about the share of deals that DEALS_PER_TEAM gives them.
    weights = workforce.owner_weights
    named_share = sum(catalogue.OWNER_WEIGHTS.values()) / sum(weights.values())
    assert 0.2 < named_share < 0.3


def test_regional_teams_own_deals_and_follow_every_rule(monkeypatch):
    monkeypatch.setattr(catalogue, "DEALS_PER_TEAM", 100)
    seed("--deals", "250", "--seed", "5", "--password", PASSWORD)
    deals = Deal.objects.all()

    region = Team.objects.get(name="Region 1")
    members = set(region.memberships.values_list("user__username", flat=True))
    assert members == {"manager3", "rep4", "rep5", "rep6"}
    assert set(Team.objects.values_list("name", flat=True)) == {
        "North",
        "South",
        "Region 1",
        "Region 2",
    }
    assert deals.filter(owner__username__in=members).count() > 25
    assert User.objects.get(username="manager3").role == Role.MANAGER
    assert_moves_obey_checklists(deals)  # overrides in a region come from its manager
    assert_stage_history_is_consistent(deals)


# -- Reproducible, once only -----------------------------------------------------------------


def seeded_then_rolled_back(*args: str) -> list[tuple]:
    """Seed into a fresh database: everything is rolled back once the deals are read."""
    with transaction.atomic():
        seed(*args)
        rows = deal_tuples()
        transaction.set_rollback(True)
    assert not Deal.objects.exists()
    return rows


def test_the_same_seed_gives_the_same_deals():
    first = seeded_then_rolled_back("--deals", "60", "--seed", "3")
    second = seeded_then_rolled_back("--deals", "60", "--seed", "3")

    assert len(first) == 60
    assert first == second


def test_another_seed_gives_other_deals():
    assert seeded_then_rolled_back("--deals", "60", "--seed", "3") != seeded_then_rolled_back(
        "--deals", "60", "--seed", "4"
    )


def test_a_second_run_changes_nothing(seeded):
    before = (deal_tuples(), User.objects.count(), Pipeline.objects.count(), Team.objects.count())

    output = seed("--deals", "30", "--seed", "99")

    assert "already here" in output
    assert "nothing seeded" in output
    after = (deal_tuples(), User.objects.count(), Pipeline.objects.count(), Team.objects.count())
    assert after == before


def test_if_empty_seeds_an_empty_database():
    output = seed("--if-empty", "--deals", "20")

    assert "Seeded the demo company" in output
    assert Deal.objects.count() == 20


def test_if_empty_leaves_a_database_with_a_pipeline_alone():
    factories.make_pipeline("Our own pipeline")

    output = seed("--if-empty", "--deals", "20")

    assert "nothing seeded (--if-empty)" in output
    assert not User.objects.exists()
    assert Pipeline.objects.count() == 1


def test_if_empty_after_a_seed_does_nothing(seeded):
    output = seed("--if-empty")

    assert "nothing seeded" in output
    assert Deal.objects.count() == 80


def test_verbosity_zero_seeds_silently():
    out = StringIO()
    call_command("seed_demo", "--deals", "5", verbosity=0, stdout=out)

    assert out.getvalue() == ""
    assert Deal.objects.count() == 5


def test_the_default_password_is_demo1234():
    output = seed("--deals", "5")

    assert '"demo1234"' in output
    assert User.objects.get(username="manager").check_password("demo1234")


def test_zero_deals_gives_the_company_without_deals():
    output = seed("--deals", "0")

    assert "0 deals" in output
    assert User.objects.count() == 6
    assert Pipeline.objects.count() == 2
    assert not Deal.objects.exists()


def test_a_failure_halfway_leaves_nothing_half_seeded():
    # A real database error while activities are inserted, after users, pipelines, deals
    # and stage changes went in. (The test's transaction drops the trigger again.)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION seed_demo_test_refuse() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER seed_demo_test_refuse BEFORE INSERT ON deals_activity "
            "FOR EACH ROW EXECUTE FUNCTION seed_demo_test_refuse()"
        )

    with pytest.raises(DatabaseError, match="disk full"):
        seed("--deals", "20")

    for model in (User, Team, Pipeline, Organization, Deal, StageChange, LostReason):
        assert not model.objects.exists(), model.__name__


# -- Bad arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deals", "-1"], "--deals must be between 0 and"),
        (["--deals", "abc"], "invalid int value: 'abc'"),
        (["--deals", "100001"], "--deals must be between 0 and 100000"),
        (["--seed", "x"], "invalid int value: 'x'"),
        (["--password", ""], "--password must not be empty"),
        (["--password", "   "], "--password must not be empty"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(args, message):
    with pytest.raises(CommandError, match=message):
        seed(*args)

    assert not User.objects.exists()


@pytest.mark.processes
@pytest.mark.parametrize(
    "args", [["--deals", "abc"], ["--deals", "-1"], ["--password", ""]], ids=str
)
def test_bad_arguments_on_the_command_line_print_usage_not_a_traceback(args):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pipelinecrm.settings_test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "--deals" in result.stderr or "--password" in result.stderr
