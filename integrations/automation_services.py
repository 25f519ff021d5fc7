"""Admin writes on stage automations (docs/domain/webhooks.md, "Designer").

Each function is one transaction with its audit entry (accounts.services.audit_record), and
re-checks that the actor is an admin. ``automation_clean`` states what each action needs;
the fields another action uses are cleared, so a saved automation holds only its own.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_changes, audit_record, ensure_admin
from integrations.models import StageAutomation, WebhookSubscription
from pipelines.models import ActivityKind, Stage

Action = StageAutomation.Action
MAX_DUE_DAYS = 365
SUBJECT_LENGTH = StageAutomation._meta.get_field("activity_subject").max_length
FIELDS = (
    "action",
    "activity_kind",
    "activity_subject",
    "due_in_business_days",
    "probability",
    "subscription",
)
# What each action uses; the rest is emptied.
USES = {
    Action.CREATE_ACTIVITY: {"activity_kind", "activity_subject", "due_in_business_days"},
    Action.NOTIFY_MANAGER: set(),
    Action.SET_PROBABILITY: {"probability"},
    Action.SEND_WEBHOOK: {"subscription"},
}
EMPTY = {
    "activity_kind": "",
    "activity_subject": "",
    "due_in_business_days": None,
    "probability": None,
    "subscription": None,
}


def automation_clean(values: dict[str, Any]) -> dict[str, Any]:
    """The settings of an automation, checked for its action; others' fields emptied."""
    action = values.get("action")
    if action not in Action.values:
        raise ValidationError({"action": _("Choose what the automation does.")})
    cleaned: dict[str, Any] = {"action": action} | EMPTY
    errors: dict[str, str] = {}
    if action == Action.CREATE_ACTIVITY:
        kind = values.get("activity_kind") or ""
        subject = (values.get("activity_subject") or "").strip()
        days = values.get("due_in_business_days")
        if kind not in ActivityKind.values:
            errors["activity_kind"] = _("Choose call, meeting, email, task or note.")
        if not subject:
            errors["activity_subject"] = _("Give the activity a subject.")
        elif len(subject) > SUBJECT_LENGTH:
            errors["activity_subject"] = _("Keep the subject under %(max_length)s characters.") % {
                "max_length": SUBJECT_LENGTH
            }
        if days is None or not 0 <= days <= MAX_DUE_DAYS:
            errors["due_in_business_days"] = _(
                "Give a number of business days from 0 to %(max)s."
            ) % {"max": MAX_DUE_DAYS}
        cleaned |= {
            "activity_kind": kind,
            "activity_subject": subject,
            "due_in_business_days": days,
        }
    elif action == Action.SET_PROBABILITY:
        probability = values.get("probability")
        if probability is None or not 0 <= probability <= 100:
            errors["probability"] = _("Give a probability from 0 to 100 %.")
        cleaned["probability"] = probability
    elif action == Action.SEND_WEBHOOK:
        subscription = values.get("subscription")
        if not isinstance(subscription, WebhookSubscription):
            errors["subscription"] = _("Choose the webhook that receives the deal.")
        cleaned["subscription"] = subscription
    if errors:
        raise ValidationError(errors)
    return cleaned


def _audited(automation: StageAutomation) -> dict[str, Any]:
    values = {name: getattr(automation, name) for name in FIELDS if name != "subscription"}
    values["subscription"] = automation.subscription.name if automation.subscription else None
    return {name: value for name, value in values.items() if value not in ("", None)}


@transaction.atomic
def automation_create(*, actor: User, stage: Stage, **values) -> StageAutomation:
    ensure_admin(actor)
    cleaned = automation_clean(values)
    last = StageAutomation.objects.filter(stage=stage).aggregate(last=Max("position"))["last"]
    automation = StageAutomation.objects.create(
        stage=stage, position=0 if last is None else last + 1, **cleaned
    )
    audit_record(actor=actor, target=automation, action="created", changes=_audited(automation))
    return automation


@transaction.atomic
def automation_update(*, actor: User, automation: StageAutomation, **values) -> StageAutomation:
    ensure_admin(actor)
    cleaned = automation_clean(values)
    before = _audited(automation)
    for name, value in cleaned.items():
        setattr(automation, name, value)
    automation.save()
    changes = audit_changes(before, _audited(automation))
    if changes:
        audit_record(actor=actor, target=automation, action="edited", changes=changes)
    return automation


@transaction.atomic
def automation_set_active(
    *, actor: User, automation: StageAutomation, active: bool
) -> StageAutomation:
    ensure_admin(actor)
    if automation.is_active != active:
        automation.is_active = active
        automation.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            target=automation,
            action="activated" if active else "deactivated",
        )
    return automation


@transaction.atomic
def automation_delete(*, actor: User, automation: StageAutomation) -> None:
    ensure_admin(actor)
    audit_record(actor=actor, target=automation, action="deleted", changes=_audited(automation))
    automation.delete()
