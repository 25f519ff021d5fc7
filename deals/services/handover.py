"""Deactivating a user hands their open work to colleagues (docs/domain/admin-pages.md).

Set-based, as the admin: one UPDATE for the deals (each gets a "reassigned" event and a new
version, as ``deal_reassign`` gives a single deal), one for the open activities. Closed
deals and done activities keep their owner: they are that person's history.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import User
from accounts.services import audit_record, ensure_admin, user_deactivate
from deals.csv_import.cancelling import imports_cancel_for_user
from deals.models import Activity, Deal, DealEvent, Notification
from deals.services.events import deal_events_doorbell
from pipelines.services import pipeline_mark_forecast_dirty


@dataclass(frozen=True)
class OpenWork:
    deals: int
    activities: int


@dataclass(frozen=True)
class Offboarding:
    user: User
    deals: int
    activities: int


def user_open_work(*, user: User) -> OpenWork:
    return OpenWork(
        deals=Deal.objects.filter(owner=user, status=Deal.Status.OPEN).count(),
        activities=Activity.objects.filter(owner=user, done_at__isnull=True).count(),
    )


CHOOSE_SUCCESSOR = {
    "deals_to": gettext_lazy("Choose who takes over their open deals."),
    "activities_to": gettext_lazy("Choose who takes over their open activities."),
}


def _check_successor(successor: User | None, *, leaving: User, field: str) -> User:
    if successor is None:
        raise ValidationError({field: str(CHOOSE_SUCCESSOR[field])})
    if successor.pk == leaving.pk or not successor.is_active:
        raise ValidationError({field: _("Choose an active user other than the one leaving.")})
    return successor


def _hand_over_deals(*, actor: User, leaving: User, successor: User | None) -> int:
    # Locked in id order, so two hand-overs (or a move) cannot deadlock on these rows.
    rows = list(
        Deal.objects.select_for_update()
        .filter(owner=leaving, status=Deal.Status.OPEN)
        .order_by("pk")
        .values_list("pk", "pipeline_id")
    )
    if not rows:
        return 0
    successor = _check_successor(successor, leaving=leaving, field="deals_to")
    _refuse_external_id_clashes(pks=[pk for pk, _pipeline in rows], successor=successor)
    now = timezone.now()
    Deal.objects.filter(pk__in=[pk for pk, _pipeline in rows]).update(
        owner=successor, version=F("version") + 1, updated_at=now
    )
    data = {"old": leaving.username, "new": successor.username}
    DealEvent.objects.bulk_create(
        DealEvent(deal_id=pk, kind=DealEvent.Kind.REASSIGNED, user=actor, data=data, created_at=now)
        for pk, _pipeline in rows
    )
    deal_events_doorbell()
    for pipeline_id in sorted({pipeline_id for _pk, pipeline_id in rows}):
        pipeline_mark_forecast_dirty(pipeline_id=pipeline_id)
    # One notice for the whole hand-over rather than one per deal, in the successor's
    # language: the text is stored as written.
    with successor.own_language():
        text = ngettext(
            "%(count)s open deal of %(name)s is now yours.",
            "%(count)s open deals of %(name)s are now yours.",
            len(rows),
        ) % {"count": len(rows), "name": leaving.display_name}
    Notification.objects.create(recipient=successor, kind="handover", text=text)
    return len(rows)


def _refuse_external_id_clashes(*, pks: list[int], successor: User) -> None:
    """External ids are unique per owner (docs/hardening/imports.md): say which ones the
    successor already uses rather than fail on the constraint."""
    leaving_ids = Deal.objects.filter(pk__in=pks, external_id__isnull=False).values("external_id")
    clashes = sorted(
        Deal.objects.filter(owner=successor, external_id__in=leaving_ids).values_list(
            "external_id", flat=True
        )
    )
    if clashes:
        raise ValidationError(
            {
                "deals_to": _(
                    "%(owner)s already has deals with the external ids %(ids)s; change "
                    "those ids or choose someone else."
                )
                % {"owner": successor.display_name, "ids": ", ".join(clashes[:10])}
            }
        )


def _hand_over_activities(*, leaving: User, successor: User | None) -> int:
    activities = Activity.objects.filter(owner=leaving, done_at__isnull=True)
    if not activities.exists():
        return 0
    successor = _check_successor(successor, leaving=leaving, field="activities_to")
    # Reminders start afresh, so the new owner hears about what is due or overdue.
    return activities.update(
        owner=successor, reminded_at=None, overdue_notified_at=None, updated_at=timezone.now()
    )


@transaction.atomic
def user_offboard(
    *,
    actor: User,
    user: User,
    deals_to: User | None = None,
    activities_to: User | None = None,
) -> Offboarding:
    """Deactivate ``user``; ``deals_to`` takes their open deals and ``activities_to`` their
    open activities (each required only when there is something to take over)."""
    ensure_admin(actor)
    # Their waiting and running imports stop too (docs/hardening/imports.md). Before the
    # user's row is locked: a running batch holds its job's lock and needs a key-share lock
    # on the user to insert deals, so the other order could deadlock with it.
    imports_cancel_for_user(user=user)
    user = user_deactivate(actor=actor, user=user)
    deals = _hand_over_deals(actor=actor, leaving=user, successor=deals_to)
    activities = _hand_over_activities(leaving=user, successor=activities_to)
    if deals or activities:
        audit_record(
            actor=actor,
            target=user,
            action="work handed over",
            changes={
                "open_deals": deals,
                "deals_to": deals_to.username if deals else None,
                "open_activities": activities,
                "activities_to": activities_to.username if activities else None,
            },
        )
    return Offboarding(user=user, deals=deals, activities=activities)
