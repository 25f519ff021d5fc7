"""Admin writes on webhook subscriptions (docs/domain/webhooks.md, "Admin page and API").

Each function is one transaction with its audit entry (accounts.services.audit_record);
the secret is never written to the audit trail. Only admins may call them: the pages and
the API are not the only possible callers (``ensure_admin``).

The target URL is checked here when it is saved (https unless ``WEBHOOKS_ALLOW_HTTP``, and
``integrations.net.check_url``: no private, loopback or link-local address unless
``WEBHOOKS_ALLOW_PRIVATE``); the sender checks it again at every attempt.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_changes, audit_record, ensure_admin
from integrations import delivery, net
from integrations.models import EventType, WebhookDelivery, WebhookSubscription, new_secret
from pipelinecrm.celery import enqueue_after_commit
from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import Pipeline

NAME_LENGTH = WebhookSubscription._meta.get_field("name").max_length
URL_LENGTH = WebhookSubscription._meta.get_field("url").max_length
SETTINGS = ("name", "url", "events", "pipeline")


# -- validation ----------------------------------------------------------------------------


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A webhook needs a name.")})
    if len(name) > NAME_LENGTH:
        raise ValidationError(
            {
                "name": _("Keep the name under %(max_length)s characters.")
                % {"max_length": NAME_LENGTH}
            }
        )
    return name


def clean_url(url: str) -> str:
    """An absolute URL the sender may reach (net.check_url): https unless
    ``WEBHOOKS_ALLOW_HTTP``, and a host that resolves to no private, loopback or
    link-local address unless ``WEBHOOKS_ALLOW_PRIVATE``."""
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": _("Give the URL that receives the events.")})
    if len(url) > URL_LENGTH:
        raise ValidationError(
            {"url": _("Keep the URL under %(max_length)s characters.") % {"max_length": URL_LENGTH}}
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": _("Give a full URL, starting with https://.")}) from None
    try:
        net.check_url(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from None
    return url


def clean_events(events: Iterable[str]) -> list[str]:
    """The event types asked for, each once, in the order of ``EventType``."""
    wanted = set(events or ())
    unknown = wanted - set(EventType.values)
    if unknown:
        raise ValidationError(
            {"events": _("Unknown event: %(events)s.") % {"events": ", ".join(sorted(unknown))}}
        )
    if not wanted:
        raise ValidationError({"events": _("Choose at least one event.")})
    return [value for value in EventType.values if value in wanted]


def _pipeline_name(pipeline: Pipeline | None) -> str:
    return pipeline.name if pipeline else _("all pipelines")


def _audited(subscription: WebhookSubscription) -> dict:
    return {
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events),
        "pipeline": _pipeline_name(subscription.pipeline),
    }


def _locked(subscription: WebhookSubscription) -> WebhookSubscription:
    return (
        WebhookSubscription.objects.select_for_update(of=("self",))
        .select_related("pipeline")
        .get(pk=subscription.pk)
    )


# -- subscriptions -------------------------------------------------------------------------


@transaction.atomic
def subscription_create(
    *,
    actor: User,
    name: str,
    url: str,
    events: Iterable[str],
    pipeline: Pipeline | None = None,
) -> WebhookSubscription:
    """A new, active subscription with a fresh secret."""
    ensure_admin(actor)
    subscription = WebhookSubscription(
        name=clean_name(name),
        url=clean_url(url),
        events=clean_events(events),
        pipeline=pipeline,
        created_by=actor,
    )
    subscription.save()
    audit_record(actor=actor, target=subscription, action="created", changes=_audited(subscription))
    return subscription


@transaction.atomic
def subscription_update(
    *,
    actor: User,
    subscription: WebhookSubscription,
    name: str,
    url: str,
    events: Iterable[str],
    pipeline: Pipeline | None,
) -> WebhookSubscription:
    """Change the name, URL, events or pipeline filter. Deliveries already made keep
    their payload and go where the subscription points when they are sent."""
    ensure_admin(actor)
    subscription = _locked(subscription)
    before = _audited(subscription)
    after = {
        "name": clean_name(name),
        "url": clean_url(url),
        "events": clean_events(events),
        "pipeline": _pipeline_name(pipeline),
    }
    changes = audit_changes(before, after)
    if not changes:
        return subscription
    subscription.name, subscription.url, subscription.events = (
        after["name"],
        after["url"],
        after["events"],
    )
    subscription.pipeline = pipeline
    subscription.save(update_fields=["name", "url", "events", "pipeline"])
    audit_record(actor=actor, target=subscription, action="edited", changes=changes)
    return subscription


@transaction.atomic
def subscription_set_active(
    *, actor: User, subscription: WebhookSubscription, is_active: bool
) -> WebhookSubscription:
    """Deactivate (no new deliveries are made for it; pending ones wait) or activate."""
    ensure_admin(actor)
    subscription = _locked(subscription)
    if subscription.is_active == bool(is_active):
        return subscription
    subscription.is_active = bool(is_active)
    subscription.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        target=subscription,
        action="reactivated" if is_active else "deactivated",
        changes={"is_active": [not is_active, bool(is_active)]},
    )
    if is_active:
        # Deliveries that waited while it was inactive go out now (unless it is paused).
        enqueue_after_commit("integrations.tasks.send_deliveries")
    return subscription


@transaction.atomic
def subscription_rotate_secret(
    *, actor: User, subscription: WebhookSubscription
) -> WebhookSubscription:
    """A new secret, effective for the next attempt of every delivery; the receiver must
    switch to it. The audit entry says it changed, never what it is."""
    ensure_admin(actor)
    subscription = _locked(subscription)
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret"])
    audit_record(actor=actor, target=subscription, action="secret rotated")
    return subscription


@transaction.atomic
def subscription_resume_by(*, actor: User, subscription: WebhookSubscription) -> None:
    """An admin resumes a paused subscription: what is still pending goes out again."""
    ensure_admin(actor)
    subscription = _locked(subscription)
    if subscription.paused_at is None:
        raise InvalidRequest(_("“%(name)s” is not paused.") % {"name": subscription.name})
    reason = subscription.pause_reason
    delivery.subscription_resume(subscription)
    audit_record(
        actor=actor, target=subscription, action="resumed", changes={"pause_reason": reason}
    )


@transaction.atomic
def subscription_delete(*, actor: User, subscription: WebhookSubscription) -> None:
    """Delete the subscription, its delivery log, and the stage automations that send to
    it; deliveries not yet sent are dropped."""
    ensure_admin(actor)
    subscription = _locked(subscription)
    audit_record(
        actor=actor,
        target=subscription,
        action="deleted",
        changes={"url": subscription.url, "events": list(subscription.events)},
    )
    subscription.delete()


def subscription_send_test(*, actor: User, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a ``ping`` to the subscription (integrations.delivery.queue_test_event)."""
    ensure_admin(actor)
    return delivery.queue_test_event(subscription, actor=actor)


@transaction.atomic
def delivery_redeliver(*, actor: User, webhook_delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or failed delivery again: the same event id and payload."""
    ensure_admin(actor)
    if webhook_delivery.status == WebhookDelivery.Status.PENDING:
        raise InvalidRequest(_("This delivery is still being sent; it cannot be redelivered yet."))
    return delivery.redeliver(webhook_delivery)
