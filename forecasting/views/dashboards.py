"""Dashboard pages (docs/domain/stalls-and-forecast.md):
the team dashboard and its analytics pages, the rep
home, and the team figures as JSON.

Charts are drawn by static/js/charts.js from JSON data islands (``json_script``: data,
never executed, so the CSP allows them); every chart has a table with the same figures,
so the pages work without JavaScript.
"""

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Role, Team
from deals.selectors.board import main_pipeline
from forecasting.dashboards import charts
from forecasting.dashboards.checklists import checklist_figures
from forecasting.dashboards.home import rep_home
from forecasting.dashboards.periods import Period
from forecasting.dashboards.probabilities import (
    MIN_TRUSTED_SAMPLE,
    OBSERVED_WINDOW_DAYS,
    probability_report,
)
from forecasting.dashboards.team import TeamDashboard, team_dashboard
from forecasting.dashboards.teams import Scope, dashboard_team_choice, dashboard_teams, team_people
from pipelinecrm.calendar import company_today
from pipelines.models import Pipeline
from pipelines.selectors import active_pipelines

# A custom field's key, as the ``by`` parameter names one (pipelines.models.CustomField.key).
KEY = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def _pipeline_choice(request: HttpRequest, team: Team) -> tuple[list[Pipeline], Pipeline | None]:
    """The active pipelines and the one ``?pipeline=`` names; by default the one the
    team works in: most of its people's open deals, ties by name
    (docs/domain/stalls-and-forecast.md)."""
    pipelines = active_pipelines()
    wanted = request.GET.get("pipeline", "")
    chosen = next((p for p in pipelines if str(p.pk) == wanted), None)
    if chosen is None and pipelines:
        people = [person.user.pk for person in team_people(team=team)]
        chosen = main_pipeline(pipelines, owner_ids=people)
    return pipelines, chosen


def _page_context(request: HttpRequest, team_id: int, section: str) -> dict:
    """The team (404 unless the user may open it) and what every team page shows around
    its figures: the team picker, the period selector with its neighbours, the pipeline
    picker."""
    team, teams = dashboard_team_choice(user=request.user, team_id=team_id)
    period = Period.from_query(request.GET, today=company_today())
    pipelines, pipeline = _pipeline_choice(request, team)
    by = request.GET.get("by", "")
    return {
        "nav_section": "dashboard",
        "section": section,
        "team": team,
        "teams": teams,
        "period": period,
        "previous_period": period.shifted(-1),
        "next_period": period.shifted(1),
        "pipelines": pipelines,
        "pipeline": pipeline,
        # The overview's breakdown by a custom field (a key), kept by every link and form
        # of the team pages; junk is dropped here, a key no field has is ignored later.
        "by": by if KEY.fullmatch(by) else "",
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Reps land on their own home; managers and admins on the team dashboard."""
    return redirect("rep-home" if request.user.role == Role.REP else "dashboard")


@login_required
@require_GET
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """Managers land on their first team, admins on the first team; reps on their home."""
    if request.user.role == Role.REP:
        return redirect("rep-home")
    team = dashboard_teams(user=request.user).first()
    if team is None:
        return render(request, "forecasting/no_team.html", {"nav_section": "dashboard"})
    return redirect("team-dashboard", team_id=team.pk)


def _team_dashboard(request: HttpRequest, team_id: int) -> tuple[TeamDashboard, dict]:
    context = _page_context(request, team_id, "overview")
    dashboard = team_dashboard(
        team=context["team"],
        period=context["period"],
        pipeline=context["pipeline"],
        now=timezone.now(),
        by=context["by"],
    )
    return dashboard, context


@login_required
@require_GET
def team_dashboard_page(request: HttpRequest, team_id: int) -> HttpResponse:
    dashboard, context = _team_dashboard(request, team_id)
    context |= {"dashboard": dashboard, "charts": charts.team_charts(dashboard)}
    return render(request, "forecasting/team_dashboard.html", context)


@login_required
@require_GET
def team_dashboard_data(request: HttpRequest, team_id: int) -> JsonResponse:
    """The team dashboard's figures and chart series as JSON (same query string)."""
    dashboard, _ = _team_dashboard(request, team_id)
    return JsonResponse(charts.team_json(dashboard))


@login_required
@require_GET
def team_checklists_page(request: HttpRequest, team_id: int) -> HttpResponse:
    context = _page_context(request, team_id, "checklists")
    scope = Scope.of_team(team_people(team=context["team"]))
    pipeline = context["pipeline"]
    items = (
        []
        if pipeline is None
        else checklist_figures(scope=scope, pipeline=pipeline, period=context["period"])
    )
    return render(request, "forecasting/checklists.html", context | {"items": items})


@login_required
@require_GET
def team_probabilities_page(request: HttpRequest, team_id: int) -> HttpResponse:
    context = _page_context(request, team_id, "probabilities")
    scope = Scope.of_team(team_people(team=context["team"]))
    pipeline = context["pipeline"]
    report = (
        None
        if pipeline is None
        else probability_report(
            scope=scope, pipeline=pipeline, period=context["period"], now=timezone.now()
        )
    )
    context |= {
        "report": report,
        "min_sample": MIN_TRUSTED_SAMPLE,
        "window_days": OBSERVED_WINDOW_DAYS,
        "charts": charts.probability_charts(report) if report else {},
    }
    return render(request, "forecasting/probabilities.html", context)


@login_required
@require_GET
def rep_home_page(request: HttpRequest) -> HttpResponse:
    """Everyone's own page; reps land here after signing in."""
    home = rep_home(user=request.user, now=timezone.now())
    return render(request, "forecasting/rep_home.html", {"nav_section": "home", "home": home})
