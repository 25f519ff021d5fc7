"""Dashboard pages (docs/domain/stalls-and-forecast.md):
who may open them (docs/domain/roles-and-visibility.md), where people land after signing
in, the charts' data islands and their tables, scripts under the CSP, and a number of
queries that does not grow with the number of deals."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from deals.access import deals_visible_to
from deals.models import ChecklistCheck, MoveRefusal
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move
from forecasting.dashboards.teams import Scope, dashboard_team_choice, team_people
from forecasting.models import ForecastSnapshot, Quota
from pipelines.models import ChecklistItem
from tests.factories import make_deal, make_item, make_team, make_user
from tests.forecasting.dashboard_builders import (
    lost_deal,
    month_start,
    reason,
    stall,
    today,
    won_deal,
)
from tests.helpers import assert_no_inline_script

D = Decimal
TEAM_PAGES = ["team-dashboard", "team-dashboard-data", "team-checklists", "team-probabilities"]


def island(response) -> dict:
    """The charts' JSON data island, as charts.js reads it."""
    match = re.search(
        r'<script id="dashboard-charts" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    assert match, "no chart data island"
    return json.loads(match.group(1))


# --- who may open what -----------------------------------------------------------------


@pytest.mark.parametrize("page", TEAM_PAGES)
def test_a_manager_opens_only_the_teams_they_manage(company, login, page):
    client = login(company.manager)

    assert client.get(reverse(page, args=[company.north.pk])).status_code == 200
    assert client.get(reverse(page, args=[company.south.pk])).status_code == 404
    assert client.get(reverse(page, args=[999_999])).status_code == 404


@pytest.mark.parametrize("page", TEAM_PAGES)
def test_a_rep_opens_no_team_dashboard(company, login, page):
    client = login(company.rep1)

    assert client.get(reverse(page, args=[company.north.pk])).status_code == 404


@pytest.mark.parametrize("page", TEAM_PAGES)
def test_an_admin_opens_every_team(company, login, page):
    client = login(company.admin)

    assert client.get(reverse(page, args=[company.north.pk])).status_code == 200
    assert client.get(reverse(page, args=[company.south.pk])).status_code == 200


@pytest.mark.parametrize("page", TEAM_PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(company, client, page):
    response = client.get(reverse(page, args=[company.north.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_manager_never_sees_another_teams_numbers(company, login):
    won_deal(company.rep3, company.sales, value=D(4321), closed_at=timezone.now())
    stall(make_deal(company.rep3, company.sales, title="South secret"), since=timezone.now())
    Quota.objects.create(user=company.rep3, month=month_start(today()), amount=D(777))
    client = login(company.manager)

    html = client.get(reverse("team-dashboard", args=[company.north.pk])).content.decode()
    shown = client.get(reverse("team-dashboard-data", args=[company.north.pk])).json()

    assert "South secret" not in html
    assert "4,321" not in html
    assert shown["totals"]["won"] == "0.00"
    assert {person["quota"] for person in shown["people"]} == {None}
    assert reverse("team-dashboard", args=[company.south.pk]) not in html


def test_the_team_picker_lists_the_teams_the_user_may_open(company, login):
    make_team("West", managers=[company.manager2])

    admin_page = login(company.admin).get(reverse("team-dashboard", args=[company.north.pk]))
    manager_page = login(company.manager).get(reverse("team-dashboard", args=[company.north.pk]))

    admin_html = admin_page.content.decode()
    assert all(f">{name}</a>" in admin_html for name in ("North", "South", "West"))
    assert 'aria-label="Teams"' not in manager_page.content.decode()  # one team: no picker


# --- landing pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "landing"),
    [("rep1", "rep-home"), ("manager", "dashboard"), ("admin", "dashboard")],
)
def test_signing_in_lands_reps_on_their_home_and_managers_on_the_dashboard(
    company, login, persona, landing
):
    response = login(getattr(company, persona)).get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse(landing)


@pytest.mark.parametrize(
    ("persona", "team"),
    [("manager", "north"), ("manager2", "south"), ("admin", "north")],
)
def test_the_dashboard_opens_the_first_team_the_user_may_open(company, login, persona, team):
    response = login(getattr(company, persona)).get(reverse("dashboard"))

    assert response["Location"] == reverse("team-dashboard", args=[getattr(company, team).pk])


def test_the_dashboard_sends_reps_to_their_home(company, login):
    response = login(company.rep1).get(reverse("dashboard"))

    assert response["Location"] == reverse("rep-home")


def test_a_manager_of_no_team_is_told_so(company, login):
    lone = make_user("lone", Role.MANAGER)

    response = login(lone).get(reverse("dashboard"))

    assert response.status_code == 200
    assert "You do not manage a team yet." in response.content.decode()


def test_the_navigation_links_to_the_dashboard(company, login):
    html = login(company.rep1).get(reverse("rep-home")).content.decode()

    assert f'<a href="{reverse("dashboard")}"' in html
    assert f'href="{reverse("board")}"' in html


# --- pages, charts and their tables ----------------------------------------------------


def test_every_chart_has_its_series_in_the_data_island_and_a_table(company, login):
    c = company
    won_deal(c.rep1, c.sales, value=D(2500), closed_at=timezone.now())
    lost_deal(c.rep2, c.sales, value=D(900), closed_at=timezone.now(), why="Timing")
    deal = make_deal(c.rep1, c.sales, value=D(1000))
    deal_move(user=c.rep1, deal=deal, stage=c.stages[1], version=None)
    ForecastSnapshot.objects.create(
        pipeline=c.sales,
        owner=c.rep1,
        period=month_start(today()),
        weighted_amount=D(100),
        open_amount=D(1000),
        won_amount=D(2500),
        deal_count=1,
        computed_at=timezone.now(),
    )
    response = login(c.manager).get(
        reverse("team-dashboard", args=[c.north.pk]), {"pipeline": c.sales.pk}
    )
    html = response.content.decode()

    charts = island(response)

    canvases = re.findall(r'<canvas data-chart="([^"]+)"', html)
    assert sorted(canvases) == sorted(charts)
    for name in canvases:
        # the table alternative follows its chart
        assert html.index("<table", html.index(f'data-chart="{name}"')) > 0
    names = [c.rep1.display_name, c.rep2.display_name, c.manager.display_name]
    people = charts["forecast-vs-quota"]
    assert sorted(people["labels"]) == sorted(names)
    won = dict(zip(people["labels"], people["datasets"][0]["data"], strict=True))
    assert D(won[c.rep1.display_name]) == D(2500)
    assert charts["lost-reasons"]["labels"] == ["Timing"]
    assert charts["lost-reasons"]["datasets"][0]["data"] == [1]
    assert charts["forecast-trend"]["datasets"][0]["data"][-1] == "2600.00"
    conversion = dict(
        zip(
            charts["stage-conversion"]["labels"],
            charts["stage-conversion"]["datasets"][0]["data"],
            strict=True,
        )
    )
    # Three deals entered Prospecting: one was won, one moved on, one was lost.
    assert conversion["Prospecting"] == "66.7"
    assert "The trend as a table" in html


def test_the_period_selector_keeps_the_pipeline_and_offers_neighbours(company, login):
    response = login(company.manager).get(
        reverse("team-dashboard", args=[company.north.pk]),
        {"period": "quarter", "date": "2025-05", "pipeline": company.private.pk},
    )
    html = response.content.decode()

    assert "North · Q2 2025" in html
    assert f'<input type="hidden" name="pipeline" value="{company.private.pk}">' in html
    assert "?period=quarter&amp;date=2025-01" in html  # previous quarter
    assert "?period=quarter&amp;date=2025-07" in html  # next quarter
    assert '<h2 id="stages-title">Stages: Renewals</h2>' in html


def test_each_person_links_to_the_board_filtered_to_them(company, login):
    html = (
        login(company.manager)
        .get(reverse("team-dashboard", args=[company.north.pk]))
        .content.decode()
    )

    board = reverse("board-pipeline", args=[company.private.pk])  # first by name: Renewals
    for person in (company.rep1, company.rep2, company.manager):
        assert f'href="{board}?owner={person.pk}"' in html


@pytest.mark.parametrize(
    "url_name",
    ["team-dashboard", "team-checklists", "team-probabilities", "rep-home", "dashboard"],
)
def test_pages_run_no_inline_script(company, login, url_name):
    args = [] if url_name in ("rep-home", "dashboard") else [company.north.pk]
    client = login(company.manager)

    response = client.get(reverse(url_name, args=args), follow=True)

    assert response.status_code == 200
    assert_no_inline_script(response)


def test_the_data_island_is_data_not_script_and_escapes_markup(company, login):
    make_deal(company.rep1, company.sales, title="</script><script>alert(1)</script>")
    lost_deal(
        company.rep1,
        company.sales,
        value=D(1),
        closed_at=timezone.now(),
        why="</script><script>alert(1)</script>",
    )

    response = login(company.manager).get(reverse("team-dashboard", args=[company.north.pk]))

    assert_no_inline_script(response)
    assert island(response)["lost-reasons"]["labels"] == ["</script><script>alert(1)</script>"]


def test_the_json_endpoint_describes_the_dashboard(company, login):
    response = login(company.manager).get(reverse("team-dashboard-data", args=[company.north.pk]))

    assert response["Content-Type"] == "application/json"
    shown = response.json()
    assert shown["team"] == {"id": company.north.pk, "name": "North"}
    assert shown["currency"] == "EUR"
    assert set(shown) >= {
        "period",
        "totals",
        "people",
        "trend",
        "pipeline",
        "stages",
        "lost_reasons",
        "stalled",
        "charts",
    }
    assert all(person["board_url"].endswith(f"?owner={person['id']}") for person in shown["people"])


# --- a fixed number of queries ---------------------------------------------------------


def checklist_and_quotas(company) -> tuple[ChecklistItem, ChecklistItem]:
    c = company
    for owner in (c.rep1, c.rep2, c.manager, c.rep3):
        Quota.objects.create(user=owner, month=month_start(today()), amount=D(5000))
    exit_item = make_item(c.stages[0], text="First call held")
    entry_item = make_item(c.stages[1], kind=ChecklistItem.Kind.ENTRY, text="Budget known")
    return exit_item, entry_item


def busy_history(company, items, deals_per_rep: int) -> None:
    """Deals with every kind of history the dashboards read: moves, refusals, ticks,
    wins, losses, stalls and snapshots."""
    c = company
    now = timezone.now()
    for owner in (c.rep1, c.rep2, c.manager, c.rep3):
        for n in range(deals_per_rep):
            deal = make_deal(owner, c.sales, value=D(1000 + n), expected_close_date=today())
            for item in items:
                ChecklistCheck.objects.create(
                    deal=deal, item=item, checked_by=owner, checked_at=now
                )
            deal_move(user=owner, deal=deal, stage=c.stages[2], version=None)
            refusal = MoveRefusal.objects.create(
                deal=deal, user=owner, from_stage=c.stages[2], to_stage=c.stages[3]
            )
            refusal.missing_items.add(items[0])
            if n % 3 == 0:
                deal_mark_won(user=owner, deal=deal, version=None)
            elif n % 3 == 1:
                deal_mark_lost(user=owner, deal=deal, version=None, reason=reason(f"R{n % 2}"))
            else:
                stall(deal, since=now - datetime.timedelta(days=n))
        for days_back in range(3):
            ForecastSnapshot.objects.create(
                pipeline=c.sales,
                owner=owner,
                period=month_start(today()),
                weighted_amount=D(100),
                open_amount=D(1000),
                won_amount=D(0),
                deal_count=deals_per_rep,
                computed_at=now - datetime.timedelta(days=days_back, minutes=deals_per_rep),
            )


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url_name", "limit"),
    [
        # session, user, teams, pipelines, people, forecast per owner, owner figures,
        # quotas, team quota (own, members'), custom fields to break the pipeline down
        # by, trend (sums, day sets), stages, stage figures, lost reasons, stalled deals
        ("team-dashboard", 17),
        ("team-dashboard-data", 17),
        # session, user, teams, pipelines, people, items, blocked, overrides, moves per
        # stage pair, ticked outcomes, overridden outcomes, median waits
        ("team-checklists", 12),
        # session, user, teams, pipelines, people, stages, observed rates, forecast
        ("team-probabilities", 8),
        # session, user, open by stage, forecast, figures, quota, activity counts,
        # overdue, today, upcoming, stalled
        ("rep-home", 11),
    ],
)
def test_dashboards_cost_the_same_queries_whatever_the_number_of_deals(
    company, login, django_assert_max_num_queries, url_name, limit
):
    persona = company.rep1 if url_name == "rep-home" else company.manager
    args = [] if url_name == "rep-home" else [company.north.pk]
    url = reverse(url_name, args=args) + f"?pipeline={company.sales.pk}"
    client = login(persona)

    items = checklist_and_quotas(company)
    busy_history(company, items, deals_per_rep=2)
    small = queries_of(client, url)
    busy_history(company, items, deals_per_rep=12)
    with django_assert_max_num_queries(limit):
        large = queries_of(client, url)

    assert large == small


@pytest.mark.parametrize(("persona", "team"), [("manager", "north"), ("admin", "south")])
def test_a_team_scope_is_exactly_what_its_viewer_may_see_of_the_team(company, persona, team):
    """The dashboards filter by owner once the team check passed; that must never reach
    beyond deals/access.py's rules."""
    c = company
    for owner in (c.rep1, c.rep2, c.rep3, c.manager, c.manager2):
        make_deal(owner, c.sales)
        make_deal(owner, c.private)
    viewer, team = getattr(c, persona), getattr(c, team)
    team, _ = dashboard_team_choice(user=viewer, team_id=team.pk)
    people = team_people(team=team)

    scoped = set(Scope.of_team(people).deals().values_list("pk", flat=True))
    visible = deals_visible_to(viewer).filter(owner__in=[p.user for p in people])

    assert scoped == set(visible.values_list("pk", flat=True))
    assert scoped
