"""Who may open which team's dashboard, and whose deals it counts (``Scope``)."""

import dataclasses
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role, Team, TeamMembership, User
from deals.models import Deal
from pipelines.models import Pipeline


def dashboard_teams(*, user: User) -> QuerySet[Team]:
    """Admins open any team's dashboard, managers the teams they
    manage, reps none (docs/domain/roles-and-visibility.md)."""
    if user.role == Role.ADMIN:
        return Team.objects.order_by("name")
    if user.role == Role.MANAGER:
        return Team.objects.filter(
            memberships__user=user, memberships__kind=TeamMembership.Kind.MANAGER
        ).order_by("name")
    return Team.objects.none()


def dashboard_team_choice(*, user: User, team_id: int) -> tuple[Team, list[Team]]:
    """The team asked for and every team the user may open (for the team picker), in one
    query. A team the user may not open answers 404,
    never 403 (docs/domain/roles-and-visibility.md)."""
    teams = list(dashboard_teams(user=user))
    team = next((team for team in teams if team.pk == team_id), None)
    if team is None:
        raise Http404("No such team.")
    return team, teams


@dataclass(frozen=True)
class TeamPerson:
    user: User
    is_manager: bool


def team_people(*, team: Team) -> list[TeamPerson]:
    """Members, then managers: a selling manager's deals are part of the team's number."""
    memberships = (
        TeamMembership.objects.filter(team=team)
        .select_related("user")
        .order_by("-kind", "user__first_name", "user__last_name", "user__username")
    )
    return [
        TeamPerson(user=m.user, is_manager=m.kind == TeamMembership.Kind.MANAGER)
        for m in memberships
    ]


@dataclass(frozen=True)
class Scope:
    """The deals a dashboard counts: those owned by ``owner_ids`` (on ``pipeline`` if given).

    Made only by ``of_team`` and ``own``, which stand for the visibility check: a team's
    figures open only to admins and the team's managers (``dashboard_team_choice``), and a
    manager sees every deal owned by a member or manager of
    a team they manage (docs/domain/roles-and-visibility.md,
    deals/access.py); everyone sees their own deals. So filtering by owner is exactly what
    the viewer may see, and the history tables (stage changes, ticks, refusals) join their
    deal's owner instead of a visibility subquery, which PostgreSQL plans far better at
    dashboard sizes. tests/forecasting/test_dashboard_pages.py checks the equivalence.
    """

    owner_ids: tuple[int, ...]
    pipeline: Pipeline | None = None

    @classmethod
    def of_team(cls, people: list[TeamPerson]) -> "Scope":
        return cls(owner_ids=tuple(person.user.pk for person in people))

    @classmethod
    def own(cls, user: User) -> "Scope":
        return cls(owner_ids=(user.pk,))

    def on(self, pipeline: Pipeline) -> "Scope":
        return dataclasses.replace(self, pipeline=pipeline)

    def deals(self) -> QuerySet[Deal]:
        deals = Deal.objects.filter(owner_id__in=self.owner_ids)
        return deals if self.pipeline is None else deals.filter(pipeline=self.pipeline)

    def of_deal(self, path: str = "deal__") -> Q:
        """Rows of a history table whose deal (reached by ``path``) is in the scope."""
        return Q(**{f"{path}owner_id__in": self.owner_ids})
