"""The notifications page and API: a user's own notifications."""

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from deals.access import deals_visible_to
from deals.models import Notification


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's own notifications, each annotated with ``deal_visible``: whether they may
    still see its deal (a reassigned one, say), which decides whether its title is shown.
    One subquery per row, in the same statement."""
    still_visible = deals_visible_to(user).filter(pk=OuterRef("deal_id"))
    return Notification.objects.filter(recipient=user).annotate(deal_visible=Exists(still_visible))
