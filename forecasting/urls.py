from django.urls import path

from forecasting.views import dashboards

urlpatterns = [
    path("home/", dashboards.rep_home_page, name="rep-home"),
    path("dashboard/", dashboards.dashboard_home, name="dashboard"),
    path("dashboard/team/<int:team_id>/", dashboards.team_dashboard_page, name="team-dashboard"),
    path(
        "dashboard/team/<int:team_id>/data.json",
        dashboards.team_dashboard_data,
        name="team-dashboard-data",
    ),
    path(
        "dashboard/team/<int:team_id>/checklists/",
        dashboards.team_checklists_page,
        name="team-checklists",
    ),
    path(
        "dashboard/team/<int:team_id>/probabilities/",
        dashboards.team_probabilities_page,
        name="team-probabilities",
    ),
]
