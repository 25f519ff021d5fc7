"""Activities: logging one that is done (or scheduling one), completing, undoing, deleting.

A done activity moves the deal's ``last_activity_at`` (never into the future) and clears its
stalled flag in the same transaction (docs/domain/deals.md); undoing or deleting recomputes it.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from deals.access import ensure_can_edit
from deals.models import Activity, Deal, DealEvent
from deals.services.events import deal_event_record
from deals.services.versions import deal_bump_version
from pipelines.models import ActivityKind

SCHEDULED_WITH_DONE_AT = gettext_noop(
    "A scheduled activity is not done yet: leave its done time empty."
)


def _latest_done_at(deal: Deal) -> datetime.datetime | None:
    now = timezone.now()
    return Activity.objects.filter(deal=deal, done_at__isnull=False, done_at__lte=now).aggregate(
        latest=Max("done_at")
    )["latest"]


@transaction.atomic
def activity_log(
    *,
    user: User,
    deal: Deal,
    kind: str,
    subject: str,
    done: bool = True,
    done_at: datetime.datetime | None = None,
    due_at: datetime.datetime | None = None,
    notes: str = "",
    version: int | None = None,
) -> Activity:
    """Log a done activity (``done=True``, at ``done_at`` or now) or schedule one for
    ``due_at``. A done time in the future is refused by ``Activity.clean``."""
    ensure_can_edit(user, deal)
    if done_at is not None and not done:
        raise ValidationError({"done_at": _(SCHEDULED_WITH_DONE_AT)})
    now = timezone.now()
    activity = Activity(
        deal=deal,
        owner=user,
        kind=kind,
        subject=subject.strip(),
        notes=notes,
        due_at=due_at,
        done_at=(done_at or now) if done else None,
    )
    if kind not in ActivityKind.values:
        raise ValidationError({"kind": _("Choose call, meeting, email, task or note.")})
    activity.full_clean(exclude=["deal", "owner"])
    activity.save()
    changes = {}
    if activity.done_at is not None and activity.done_at <= now:
        # Read from the table, not from ``deal``: the caller's copy may predate a later
        # activity, and last activity must never move back.
        latest = _latest_done_at(deal)
        changes = {"last_activity_at": latest, "is_stalled": False, "stalled_since": None}
    deal_bump_version(deal=deal, version=version, **changes)
    _record_logged(deal=deal, activity=activity, user=user, at=now)
    return activity


def _record_logged(
    *, deal: Deal, activity: Activity, user: User, at, marked_done: bool = False
) -> None:
    """``marked_done``: an existing activity was marked done (webhooks: activity.done),
    rather than an activity logged (activity.created)."""
    data = {
        "activity": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "done": activity.done_at is not None,
    }
    if marked_done:
        data["marked_done"] = True
    deal_event_record(deal=deal, kind=DealEvent.Kind.ACTIVITY_LOGGED, user=user, data=data, at=at)


@transaction.atomic
def activity_set_done(*, user: User, activity: Activity, done: bool) -> Activity:
    """Mark an activity done now, or undo that; the deal's last activity follows."""
    deal = activity.deal
    ensure_can_edit(user, deal)
    if (activity.done_at is not None) == done:
        return activity
    now = timezone.now()
    activity.done_at = now if done else None
    activity.save(update_fields=["done_at", "updated_at"])
    if done:
        changes = {"last_activity_at": now, "is_stalled": False, "stalled_since": None}
    else:
        changes = {"last_activity_at": _latest_done_at(deal)}
    deal_bump_version(deal=deal, version=None, **changes)
    if done:
        _record_logged(deal=deal, activity=activity, user=user, at=now, marked_done=True)
    return activity


@transaction.atomic
def activity_delete(*, user: User, activity: Activity) -> None:
    deal = activity.deal
    ensure_can_edit(user, deal)
    activity.delete()
    deal_bump_version(deal=deal, version=None, last_activity_at=_latest_done_at(deal))
