"""Who relates to whom through teams (PRODUCT.md §1). Subqueries, so callers stay one query."""

from django.db.models import QuerySet

from accounts.models import Role, TeamMembership, User


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


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
