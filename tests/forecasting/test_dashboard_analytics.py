"""Per-stage conversion and time in stage, checklist analytics and data-driven
probabilities (docs/domain/stalls-and-forecast.md),
checked against Python over the rows the test wrote."""

import datetime
import re
import statistics
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import ChecklistCheck, Deal, MoveRefusal, StageChange
from deals.services.checklist import checklist_item_check
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move
from forecasting.dashboards.checklists import medians_in_python, medians_in_sql, tick_waits
from forecasting.dashboards.periods import Period
from forecasting.dashboards.probabilities import MIN_TRUSTED_SAMPLE
from forecasting.dashboards.stages import stage_figures
from forecasting.dashboards.teams import Scope, team_people
from pipelinecrm.exceptions import ChecklistIncomplete
from pipelines.models import ChecklistItem
from tests.factories import make_deal, make_item
from tests.forecasting.dashboard_builders import at, month_start, reason, redate, today

D = Decimal
MARCH = {"period": "month", "date": "2025-03"}


def walk(owner, pipeline, steps, *, mover=None, override: str = "") -> Deal:
    """Create a deal in ``steps[0]``'s stage and move it through the others; then date
    its stage changes ``(stage, when)`` and their time in the previous stage."""
    (first_stage, created_at), *moves = steps
    deal = make_deal(owner, pipeline, first_stage)
    for stage, _ in moves:
        deal_move(
            user=mover or owner, deal=deal, stage=stage, version=None, override_reason=override
        )
    changes = list(StageChange.objects.filter(deal=deal).order_by("changed_at", "pk"))
    previous = None
    for change, (_, when) in zip(changes, steps, strict=True):
        change.changed_at = when
        change.time_in_from_stage = None if previous is None else when - previous
        change.save(update_fields=["changed_at", "time_in_from_stage"])
        previous = when
    return redate(deal, created_at=created_at, stage_entered_at=previous)


def close(deal: Deal, status: str, closed_at: datetime.datetime) -> Deal:
    if status == Deal.Status.WON:
        deal_mark_won(user=deal.owner, deal=deal, version=None)
    else:
        deal_mark_lost(user=deal.owner, deal=deal, version=None, reason=reason())
    return redate(deal, closed_at=closed_at)


# --- stages ----------------------------------------------------------------------------


def march_history(company) -> None:
    c, s = company, company.stages
    won = walk(
        c.rep1, c.sales, [(s[0], at(2025, 3, 2)), (s[1], at(2025, 3, 5)), (s[2], at(2025, 3, 9))]
    )
    close(won, Deal.Status.WON, at(2025, 3, 12))
    back = walk(
        c.rep1, c.sales, [(s[0], at(2025, 3, 3)), (s[2], at(2025, 3, 4)), (s[1], at(2025, 3, 6))]
    )
    close(back, Deal.Status.LOST, at(2025, 3, 20))
    walk(c.rep2, c.sales, [(s[0], at(2025, 2, 25)), (s[1], at(2025, 3, 10, 8))])
    walk(c.rep2, c.sales, [(s[0], at(2025, 3, 30)), (s[1], at(2025, 4, 2))])
    walk(c.rep3, c.sales, [(s[0], at(2025, 3, 3)), (s[3], at(2025, 3, 4))])  # South


def expected_stages(company, start, end) -> dict[str, tuple[int, int, Decimal | None]]:
    """Per stage name: (entered, converted, average days in stage), by hand."""
    north = {company.rep1.pk, company.rep2.pk, company.manager.pk}
    changes = defaultdict(list)
    for change in StageChange.objects.select_related("to_stage", "deal"):
        if change.deal.owner_id in north:
            changes[change.deal_id].append(change)
    figures = {}
    for stage in company.stages:
        entered, converted, times = set(), set(), []
        for deal_changes in changes.values():
            for change in deal_changes:
                if change.to_stage_id == stage.pk and start <= change.changed_at < end:
                    entered.add(change.deal_id)
                    later = [
                        other
                        for other in deal_changes
                        if other.changed_at > change.changed_at
                        and other.to_stage.position > stage.position
                    ]
                    if later or change.deal.status == Deal.Status.WON:
                        converted.add(change.deal_id)
                if change.from_stage_id == stage.pk and start <= change.changed_at < end:
                    times.append(change.time_in_from_stage)
        average = (
            (D(sum(t.total_seconds() for t in times)) / 86400 / len(times)).quantize(D("0.1"))
            if times
            else None
        )
        figures[stage.name] = (len(entered), len(converted), average)
    return figures


def test_stage_conversion_and_time_in_stage_match_the_history(company, login):
    march_history(company)
    expected = expected_stages(company, at(2025, 3, 1, 0), at(2025, 4, 1, 0))

    shown = login(company.manager).get(
        reverse("team-dashboard-data", args=[company.north.pk]),
        MARCH | {"pipeline": company.sales.pk},
    )

    stages = {
        row["name"]: (
            row["entered"],
            row["converted"],
            None if row["average_days_in_stage"] is None else D(row["average_days_in_stage"]),
        )
        for row in shown.json()["stages"]
    }
    assert stages == expected
    # Spelled out: Prospecting was entered by the three North deals created in March
    # (the February one and South's do not count), and all went further, one of them in
    # April; Qualification by three deals, of which only the first went on (and was won).
    assert stages["Prospecting"][:2] == (3, 3)
    assert stages["Qualification"][:2] == (3, 1)
    conversion = {row["name"]: row["conversion"] for row in shown.json()["stages"]}
    assert conversion["Qualification"] == "33.3"
    assert conversion["Proposal"] is None


@pytest.mark.parametrize("now", [at(2025, 3, 31, 12), at(2025, 4, 3), at(2026, 1, 1)])
def test_stage_figures_are_the_same_while_the_period_runs_and_after_it(company, now):
    """A running period reads every change since it began, an ended one only the deals
    with a change in it (stage_figures): both give the history's figures."""
    march_history(company)
    expected = expected_stages(company, at(2025, 3, 1, 0), at(2025, 4, 1, 0))

    figures = stage_figures(
        scope=Scope.of_team(team_people(team=company.north)),
        pipeline=company.sales,
        period=Period.of("month", datetime.date(2025, 3, 1)),
        now=now,
    )

    assert {f.stage.name: (f.entered, f.converted, f.average_days) for f in figures} == expected


# --- checklist analytics ---------------------------------------------------------------


@pytest.fixture
def checklist_history(company):
    """March 2025 on Sales: X (exit, Prospecting), Y (entry, Qualification), F (exit,
    automatic: the value is filled in).

    a: X ticked after 1 day, Y ticked, moved, won.   b: refused (X, Y missing), then
    overridden by the manager, lost.   c: X after 3 days, Y, moved, lost.
    d: X after 10 days, still open.   South's deal ticks X too (not North's).
    """
    c, s = company, company.stages
    x = make_item(s[0], text="First call held")
    f = make_item(
        s[0],
        text="Value estimated",
        satisfied_by=ChecklistItem.SatisfiedBy.FIELD,
        field_name="value",
    )
    y = make_item(s[1], kind=ChecklistItem.Kind.ENTRY, text="Budget confirmed")

    def deal(owner, created, ticks=(), move=None, outcome=None, refused=False):
        new = make_deal(owner, c.sales, s[0])
        StageChange.objects.filter(deal=new).update(changed_at=created)
        redate(new, created_at=created, stage_entered_at=created)
        for item, when in ticks:
            checklist_item_check(user=owner, deal=new, item=item)
            ChecklistCheck.objects.filter(deal=new, item=item).update(checked_at=when)
        if refused:
            with pytest.raises(ChecklistIncomplete):
                deal_move(user=owner, deal=new, stage=s[1], version=None)
            MoveRefusal.objects.filter(deal=new).update(created_at=move)
            deal_move(user=c.manager, deal=new, stage=s[1], version=None, override_reason="LOI")
        elif move:
            deal_move(user=owner, deal=new, stage=s[1], version=None)
        if move:
            StageChange.objects.filter(deal=new, from_stage=s[0]).update(changed_at=move)
        if outcome:
            close(Deal.objects.get(pk=new.pk), outcome, at(2025, 3, 25))
        return new

    deal(
        c.rep1,
        at(2025, 3, 1, 9),
        [(x, at(2025, 3, 2, 9)), (y, at(2025, 3, 2, 10))],
        at(2025, 3, 3),
        Deal.Status.WON,
    )
    deal(c.rep1, at(2025, 3, 3, 9), move=at(2025, 3, 4), outcome=Deal.Status.LOST, refused=True)
    deal(
        c.rep2,
        at(2025, 3, 5, 9),
        [(x, at(2025, 3, 8, 9)), (y, at(2025, 3, 8, 10))],
        at(2025, 3, 9),
        Deal.Status.LOST,
    )
    deal(c.rep2, at(2025, 3, 6, 9), [(x, at(2025, 3, 16, 9))])
    deal(c.rep3, at(2025, 3, 6, 9), [(x, at(2025, 3, 6, 10))])
    return x, y, f


def item_rows(response) -> dict[str, dict[str, str]]:
    """The analytics table: item id → figure → cell text."""
    rows = {}
    for item_id, row in re.findall(
        r'<tr id="item-(\d+)">(.*?)</tr>', response.content.decode(), re.S
    ):
        cells = re.findall(r'data-figure="(\w+)">(.*?)</td>', row, re.S)
        rows[int(item_id)] = {
            name: " ".join(re.sub("<[^>]+>", " ", text).split()) for name, text in cells
        }
    return rows


def test_checklist_analytics_per_item(company, login, checklist_history):
    x, y, f = checklist_history

    response = login(company.manager).get(
        reverse("team-checklists", args=[company.north.pk]), MARCH | {"pipeline": company.sales.pk}
    )

    rows = item_rows(response)
    assert rows[x.pk] == {
        "blocked": "1",
        "overrides": "1",
        "override_rate": "33.3 % of 3",
        "median_days": "3.0 d",
        "done_win_rate": "50.0 % of 2",
        "overridden_win_rate": "0.0 % of 1",
    }
    assert rows[y.pk]["blocked"] == "1"
    assert rows[y.pk]["override_rate"] == "33.3 % of 3"
    # Y was ticked before its deals entered Qualification: no time from entering to tick.
    assert rows[y.pk]["median_days"] == "—"
    assert rows[f.pk] == {
        "blocked": "0",
        "overrides": "0",
        "override_rate": "0.0 % of 3",
        "median_days": "automatic",
        "done_win_rate": "automatic",
        "overridden_win_rate": "—",
    }


def test_the_median_is_the_same_in_sql_and_in_python(company, checklist_history):
    x, _, _ = checklist_history
    scope = Scope.of_team(team_people(team=company.north))
    waits = tick_waits(
        scope=scope, pipeline=company.sales, period=Period.of("month", at(2025, 3, 1).date())
    )
    north = {company.rep1.pk, company.rep2.pk}
    by_hand = statistics.median(
        check.checked_at
        - StageChange.objects.filter(
            deal=check.deal, to_stage=x.stage, changed_at__lte=check.checked_at
        )
        .latest("changed_at")
        .changed_at
        for check in ChecklistCheck.objects.filter(item=x, deal__owner__in=north)
    )

    assert medians_in_sql(waits)[x.pk] == by_hand == datetime.timedelta(days=3)
    assert medians_in_python(waits) == medians_in_sql(waits)


def test_checklist_analytics_of_a_pipeline_without_items(company, login):
    response = login(company.manager).get(
        reverse("team-checklists", args=[company.north.pk]), {"pipeline": company.private.pk}
    )

    assert "This pipeline has no checklist items." in response.content.decode()


# --- data-driven probabilities ---------------------------------------------------------


@pytest.fixture
def outcomes(company):
    """25 North deals went Prospecting → Qualification and closed (15 won, 10 lost); the
    first 5 also reached Meeting/Demo (3 won, 2 lost). One more closed 400 days ago."""
    c, s = company, company.stages
    now = timezone.now()
    for n in range(25):
        owner = c.rep1 if n % 2 else c.rep2
        deal = make_deal(owner, c.sales, s[0], value=D(100))
        deal_move(user=owner, deal=deal, stage=s[1], version=None)
        if n < 5:
            deal_move(user=owner, deal=deal, stage=s[2], version=None)
        won = n in (0, 1, 2) or 5 <= n < 17
        close(Deal.objects.get(pk=deal.pk), Deal.Status.WON if won else Deal.Status.LOST, now)
    old = make_deal(c.rep1, c.sales, s[0], value=D(100))
    close(old, Deal.Status.LOST, now - datetime.timedelta(days=400))
    end_of_month = month_start(today(), 1) - datetime.timedelta(days=1)
    make_deal(c.rep1, c.sales, s[1], value=D(1000), expected_close_date=end_of_month)
    make_deal(c.rep2, c.sales, s[2], value=D(1000), expected_close_date=end_of_month)
    overridden = make_deal(c.rep1, c.sales, s[1], value=D(1000), expected_close_date=end_of_month)
    Deal.objects.filter(pk=overridden.pk).update(probability_override=10)


def probability_rows(response) -> dict[str, dict[str, str]]:
    rows = {}
    html = response.content.decode()
    for row in re.findall(r'<tr id="stage-\d+">(.*?)</tr>', html, re.S):
        name = re.search(r'<th scope="row">([^<]+)', row).group(1).strip()
        cells = re.findall(r'data-figure="(\w+)">(.*?)</td>', row, re.S)
        rows[name] = {k: " ".join(re.sub("<[^>]+>", " ", v).split()) for k, v in cells}
    return rows


def test_observed_win_rates_per_stage_with_their_sample(company, login, outcomes):
    response = login(company.manager).get(
        reverse("team-probabilities", args=[company.north.pk]), {"pipeline": company.sales.pk}
    )

    rows = probability_rows(response)
    assert rows["Prospecting"] == {
        "configured": "10 %",
        "observed": "60.0 %",
        "sample": "15 / 25",
        "trust": "Enough data",
    }
    assert rows["Qualification"]["observed"] == "60.0 %"
    assert rows["Meeting/Demo"] == {
        "configured": "40 %",
        "observed": "60.0 %",
        "sample": "3 / 5",
        "trust": "sample too small to trust",
    }
    assert rows["Proposal"]["observed"] == "—"
    assert MIN_TRUSTED_SAMPLE == 20


def test_the_forecast_recomputed_with_observed_rates(company, login, outcomes):
    response = login(company.manager).get(
        reverse("team-probabilities", args=[company.north.pk]), {"pipeline": company.sales.pk}
    )
    html = response.content.decode()

    # Won this month: 15 × 100. Open: Qualification 1,000 at 20 % (configured) or 60 %
    # (observed, 25 deals), Meeting/Demo 1,000 at 40 % either way (5 deals: too few), and
    # a deal whose own 10 % override stands in both.
    configured = 1500 + 200 + 400 + 100
    observed = 1500 + 600 + 400 + 100
    configured_block = html.split('data-testid="configured-forecast">')[1].split("</div>")[0]
    observed_block = html.split('data-testid="observed-forecast">')[1].split("</div>")[0]
    assert f"€{configured:,}" in configured_block
    assert f"€{observed:,}" in observed_block
