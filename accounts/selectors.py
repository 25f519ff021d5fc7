"""Who relates to whom through teams (docs/domain/roles-and-visibility.md).
Subqueries, so callers stay one query."""

from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast

from accounts.models import AuditEntry, Role, Team, TeamMembership, User


def teammate_ids(*, user: User) -> QuerySet:
    """Ids of the members and managers of every team ``user`` belongs to (``user`` included)."""
    return TeamMembership.objects.filter(team__memberships__user=user).values("user_id")


def managed_user_ids(*, user: User) -> QuerySet:
    """Ids of everyone in the teams ``user`` manages; empty unless ``user`` is a manager."""
    if user.role != Role.MANAGER:
        return TeamMembership.objects.none().values("user_id")
    return TeamMembership.objects.filter(
        team__memberships__user=user,
        team__memberships__kind=TeamMembership.Kind.MANAGER,
    ).values("user_id")


def team_people_ids(team: Team) -> dict[str, list[int]]:
    """The user ids of the team's ``managers`` and ``members``, from ``team.memberships``
    (prefetched by lists, so no query per team there)."""
    people: dict[str, list[int]] = {"managers": [], "members": []}
    for membership in team.memberships.all():
        key = "managers" if membership.kind == TeamMembership.Kind.MANAGER else "members"
        people[key].append(membership.user_id)
    return people


def users_visible_to(user: User) -> QuerySet[User]:
    """Everyone sees the active users; admins also the deactivated ones."""
    users = User.objects.all()
    return users if user.is_authenticated and user.is_admin else users.filter(is_active=True)


def team_people_choices() -> tuple[QuerySet[User], QuerySet[User]]:
    """Who may manage a team (active managers and admins) and who may be a member (any
    active user), in name order."""
    active = User.objects.filter(is_active=True).order_by("first_name", "last_name")
    return active.exclude(role=Role.REP), active


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def audit_history(*targets: Model | QuerySet, limit: int = 50) -> list[AuditEntry]:
    """The latest audit entries about any of ``targets`` (instances or querysets), newest
    first, in one query: a pipeline page passes the pipeline, its stages and their items."""
    condition = Q(pk__in=[])
    for target in targets:
        if isinstance(target, QuerySet):
            keys = target.annotate(audit_key=Cast("pk", CharField())).values("audit_key")
            condition |= Q(object_type=target.model._meta.label_lower, object_id__in=keys)
        else:
            condition |= Q(object_type=target._meta.label_lower, object_id=str(target.pk))
    return list(AuditEntry.objects.filter(condition).select_related("actor")[:limit])
