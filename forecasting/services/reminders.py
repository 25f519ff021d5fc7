"""remind_activities (docs/domain/stalls-and-forecast.md):
tell owners an activity is due soon, then overdue.

Each notice is claimed by compare-and-swap on its own column (``reminded_at``,
``overdue_notified_at``) in the statement that selects it, so a rerun or a second worker
reminds nobody twice. An activity that turned overdue long ago (history, a long outage)
is not announced: a flood of stale reminders helps nobody.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from deals.access import visible_through_deal
from deals.models import Activity, Deal
from deals.services.notifications import Notice, NotificationKind, notices_send
from forecasting.services.claims import rows_claim
from pipelines.models import ActivityKind

REMINDER_LEAD = timedelta(minutes=15)
OVERDUE_NOTICE_WINDOW = timedelta(days=1)
RETURNING = ("id", "owner", "deal", "kind", "subject", "due_at")
# Lazy: the email is written per recipient, in their language.
DUE_SUBJECT = gettext_lazy("activities due soon")
OVERDUE_SUBJECT = gettext_lazy("overdue activities")


@dataclass(frozen=True)
class ReminderRun:
    due_soon: int
    overdue: int


def activities_remind(*, now: datetime | None = None) -> ReminderRun:
    written_at = timezone.now()
    now = now or written_at
    open_activities = Activity.objects.filter(done_at__isnull=True)
    with transaction.atomic():
        due_soon = rows_claim(
            open_activities.filter(
                reminded_at__isnull=True, due_at__gt=now, due_at__lte=now + REMINDER_LEAD
            ),
            returning=RETURNING,
            reminded_at=written_at,
        )
        overdue = rows_claim(
            open_activities.filter(
                overdue_notified_at__isnull=True,
                due_at__lte=now,
                due_at__gt=now - OVERDUE_NOTICE_WINDOW,
            ),
            returning=RETURNING,
            overdue_notified_at=written_at,
        )
        titles = _deal_titles({activity["deal_id"] for activity in due_soon + overdue})
        owners = _owners(due_soon + overdue)
        seen = _seen_by_their_owner(due_soon + overdue, owners)
        notices_send(
            notices=[
                _notice(a, NotificationKind.ACTIVITY_DUE, owners, titles, seen) for a in due_soon
            ],
            email_subject=DUE_SUBJECT,
        )
        notices_send(
            notices=[
                _notice(a, NotificationKind.ACTIVITY_OVERDUE, owners, titles, seen) for a in overdue
            ],
            email_subject=OVERDUE_SUBJECT,
        )
    return ReminderRun(due_soon=len(due_soon), overdue=len(overdue))


def _deal_titles(deal_ids: set[int]) -> dict[int, str]:
    if not deal_ids:
        return {}
    return dict(Deal.objects.filter(pk__in=deal_ids).values_list("pk", "title"))


def _owners(activities: list[dict]) -> dict[int, User]:
    """The owners of ``activities`` by id: who may see what, and in which language."""
    if not activities:
        return {}
    return User.objects.in_bulk({activity["owner_id"] for activity in activities})


def _seen_by_their_owner(activities: list[dict], owners: dict[int, User]) -> set[int]:
    """Ids of ``activities`` whose owner may still see the deal (an activity keeps its owner
    when the deal changes hands): one UNION over the owners."""
    ids = [activity["id"] for activity in activities]
    per_owner = [
        visible_through_deal(Activity.objects.filter(pk__in=ids, owner=owner), owner)
        .order_by()
        .values_list("pk", flat=True)
        for owner in owners.values()
    ]
    if not per_owner:
        return set()
    return set(per_owner[0].union(*per_owner[1:]).order_by())


def _notice(
    activity: dict, kind: str, owners: dict[int, User], titles: dict[int, str], seen: set[int]
) -> Notice:
    """The notice as its recipient reads it: the text is stored as written, so it is
    written in the owner's language."""
    overdue = kind == NotificationKind.ACTIVITY_OVERDUE
    with owners[activity["owner_id"]].own_language():
        values = {
            "kind": ActivityKind(activity["kind"]).label,
            "time": dateformat.format(timezone.localtime(activity["due_at"]), "j M H:i"),
            "subject": activity["subject"],
            "deal": titles.get(activity["deal_id"], ""),
        }
        if activity["id"] not in seen:
            # Neither title nor subject: the email leaves with this text
            # (docs/hardening/gate-activities.md).
            if overdue:
                # Translators: %(kind)s is an activity kind (Call, Meeting, …).
                text = _("%(kind)s on a deal you can no longer see is overdue since %(time)s.")
            else:
                # Translators: %(kind)s is an activity kind (Call, Meeting, …).
                text = _("%(kind)s on a deal you can no longer see is due at %(time)s.")
        elif overdue:
            # Translators: %(kind)s is an activity kind (Call, Meeting, …).
            text = _("%(kind)s “%(subject)s” on “%(deal)s” is overdue since %(time)s.")
        else:
            # Translators: %(kind)s is an activity kind (Call, Meeting, …).
            text = _("%(kind)s “%(subject)s” on “%(deal)s” is due at %(time)s.")
        text = text % values
    return Notice(
        recipient_id=activity["owner_id"],
        kind=kind,
        deal_id=activity["deal_id"],
        text=text,
    )
