"""Stage automations: what happens when a deal enters a stage (docs/domain/webhooks.md).

The dispatcher (integrations/dispatch.py) calls ``run_automations`` with a batch of events,
in its transaction, before it marks them dispatched: each entering runs once. An entering
is a created, imported, moved or reopened event; the stage entered is the one its stage
change (written in the same transaction, at the same instant) names.

Each automation acts through the deals' services with the owner's rights, inside
``acting_as_automation`` so the events it causes name it (deals/services/events.py). It
runs only if the deal is still open and still in that stage: a deal moved on before the
dispatcher came by has entered another stage, whose automations run instead. A failing
automation is logged and skipped (one savepoint each); the batch goes on. An automation
never moves a deal, so no checklist can be bypassed.
"""

import datetime
import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import TeamMembership, User
from deals.models import Deal, DealEvent, StageChange
from deals.services.activities import activity_log
from deals.services.editing import deal_update
from deals.services.events import acting_as_automation
from deals.services.notifications import Notice, notices_send
from integrations.models import StageAutomation
from pipelinecrm.calendar import company_today

logger = logging.getLogger(__name__)

ENTERING_KINDS = {
    DealEvent.Kind.CREATED: "deal.created",
    DealEvent.Kind.IMPORTED: "deal.created",
    DealEvent.Kind.MOVED: "deal.moved",
    DealEvent.Kind.REOPENED: "deal.reopened",
}
# A scheduled activity is due at this hour, company time, N business days on.
DUE_HOUR = 9
NOTIFICATION_KIND = "automation"
# Translators: completes "PipelineCRM: …", the subject line of an automation's email.
NOTIFY_SUBJECT = gettext_lazy("a deal entered a stage")


def automation_name(automation: StageAutomation) -> str:
    """How the timeline names it: "Contract sent: Call the customer" (the stage, then the
    subject of its activity or what it does)."""
    if automation.action == StageAutomation.Action.CREATE_ACTIVITY:
        what = automation.activity_subject
    else:
        what = automation.get_action_display()
    return f"{automation.stage.name}: {what}"


def business_days_later(day: datetime.date, days: int) -> datetime.date:
    """``days`` business days (Monday to Friday) after ``day``; a weekend day counts from
    the Monday after (0 on a Saturday is Monday)."""
    while days > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def due_at(days: int, now: datetime.datetime | None = None) -> datetime.datetime:
    """09:00 company time, ``days`` business days after today (company time)."""
    day = business_days_later(company_today(now), days)
    return datetime.datetime.combine(
        day, datetime.time(DUE_HOUR), tzinfo=timezone.get_default_timezone()
    )


def run_automations(events: list[DealEvent]) -> None:
    """Run the active automations of the stage each of ``events`` brought a deal into
    (created, imported, moved, reopened), in the dispatcher's transaction."""
    entering = [event for event in events if event.kind in ENTERING_KINDS]
    if not entering:
        return
    stage_of = _stages_entered(entering)
    automations: dict[int, list[StageAutomation]] = defaultdict(list)
    for automation in (
        StageAutomation.objects.filter(stage_id__in=set(stage_of.values()), is_active=True)
        .select_related("stage", "subscription")
        .order_by("position", "id")
    ):
        automations[automation.stage_id].append(automation)
    if not automations:
        return
    deal_ids = {event.deal_id for event in entering if automations.get(stage_of.get(event.pk))}
    deals = Deal.objects.select_related("owner", "stage").in_bulk(deal_ids)
    for event in entering:
        stage_id = stage_of.get(event.pk)
        deal = deals.get(event.deal_id)
        if deal is None or deal.status != Deal.Status.OPEN or deal.stage_id != stage_id:
            continue
        for automation in automations.get(stage_id, []):
            _run_one(automation, deal, event)


def _stages_entered(events: list[DealEvent]) -> dict[int, int]:
    """The stage each event brought its deal into, by event id: its stage change's (same
    deal, same instant). One query."""
    changes = StageChange.objects.filter(
        deal_id__in={event.deal_id for event in events},
        changed_at__in={event.created_at for event in events},
    ).values_list("deal_id", "changed_at", "to_stage_id")
    to_stage = {(deal_id, at): stage_id for deal_id, at, stage_id in changes}
    found = {}
    for event in events:
        stage_id = to_stage.get((event.deal_id, event.created_at))
        if stage_id is not None:
            found[event.pk] = stage_id
    return found


def _run_one(automation: StageAutomation, deal: Deal, event: DealEvent) -> None:
    try:
        with transaction.atomic(), acting_as_automation(automation.pk, automation_name(automation)):
            ACTIONS[automation.action](automation, deal, event)
    except Exception:
        logger.exception("Stage automation %s failed for deal %s; skipped.", automation.pk, deal.pk)


def _create_activity(automation: StageAutomation, deal: Deal, event: DealEvent) -> None:
    activity_log(
        user=deal.owner,
        deal=deal,
        kind=automation.activity_kind,
        subject=automation.activity_subject,
        done=False,
        due_at=due_at(automation.due_in_business_days or 0),
    )


def _set_probability(automation: StageAutomation, deal: Deal, event: DealEvent) -> None:
    fresh = Deal.objects.select_related("owner").get(pk=deal.pk)
    deal_update(
        user=fresh.owner, deal=fresh, version=None, probability_override=automation.probability
    )


def _notify_manager(automation: StageAutomation, deal: Deal, event: DealEvent) -> None:
    """The managers of every team the owner is in (not the owner), each in their language."""
    owner = deal.owner
    managers = (
        User.objects.filter(
            is_active=True,
            memberships__kind=TeamMembership.Kind.MANAGER,
            memberships__team__memberships__user=owner,
        )
        .exclude(pk=owner.pk)
        .distinct()
    )
    notices = []
    for manager in managers:
        with manager.own_language():
            text = _("“%(title)s” of %(owner)s entered %(stage)s.") % {
                "title": deal.title,
                "owner": owner.display_name,
                "stage": deal.stage.name,
            }
        notices.append(
            Notice(recipient_id=manager.pk, kind=NOTIFICATION_KIND, deal_id=deal.pk, text=text)
        )
    notices_send(notices=notices, email_subject=NOTIFY_SUBJECT)


def _send_webhook(automation: StageAutomation, deal: Deal, event: DealEvent) -> None:
    """The entering event goes to the automation's subscription, whatever types it asks
    for; a paused subscription keeps it until resumed."""
    # Imported here: the dispatcher imports this module.
    from integrations.dispatch import queue_delivery

    queue_delivery(
        subscription=automation.subscription,
        event=event,
        event_type=ENTERING_KINDS[event.kind],
    )


ACTIONS = {
    StageAutomation.Action.CREATE_ACTIVITY: _create_activity,
    StageAutomation.Action.SET_PROBABILITY: _set_probability,
    StageAutomation.Action.NOTIFY_MANAGER: _notify_manager,
    StageAutomation.Action.SEND_WEBHOOK: _send_webhook,
}
