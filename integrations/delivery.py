"""Sending deliveries (docs/domain/webhooks.md, "Delivery").

``send_deliveries`` claims the due pending deliveries whose earlier ones of the same deal
(per subscription) are all done, leases them (``next_attempt_at`` moved ahead, so another
sender leaves them alone), posts them from a small thread pool over keep-alive connections
to the checked address, and records each outcome: 2xx delivered; a timeout, a connection
error, a 5xx or a 429 retried with exponential backoff and jitter for 24 hours; any other
4xx (or a refused address) failed at once. Failed attempts in a row pause the subscription
and tell the admins.
"""

import http.client
import json
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from deals.services.notifications import Notice, notices_send
from integrations import net
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.payloads import actor_json
from integrations.signing import HEADER, signature_header
from pipelinecrm.celery import enqueue_after_commit

logger = logging.getLogger(__name__)

USER_AGENT = "PipelineCRM-Webhooks/1"
# Deliveries claimed per round, and how long a claim keeps other senders away.
CLAIM_SIZE = 200
LEASE = timedelta(minutes=2)
# A sender run stops starting rounds after this long; the next run continues.
RUN_SECONDS = 60
ERROR_LENGTH = 300
NOTIFICATION_KIND = "webhook_paused"
# Translators: completes "PipelineCRM: …", the subject line of a notification email.
PAUSED_SUBJECT = gettext_lazy("a webhook was paused")

Status = WebhookDelivery.Status
RECORDED_FIELDS = [
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "response_code",
    "latency_ms",
    "error",
    "delivered_at",
]


@dataclass
class Outcome:
    delivery_id: int
    delivered: bool
    retry: bool
    response_code: int | None
    latency_ms: int | None
    error: str


# -- claiming ------------------------------------------------------------------------------


# The first pending delivery of each deal per subscription (a test event, without a deal,
# is a line of its own): only these may go out (docs/domain/webhooks.md, "Order").
_HEADS_SQL = """
SELECT id FROM (
    SELECT DISTINCT ON (subscription_id, COALESCE(deal_id, -id)) id, next_attempt_at
    FROM integrations_webhookdelivery
    WHERE status = 'pending'
    ORDER BY subscription_id, COALESCE(deal_id, -id), id
) heads
WHERE next_attempt_at IS NULL OR next_attempt_at <= %s
ORDER BY id
"""


def _heads(now) -> list[int]:
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute(_HEADS_SQL, [now])
            return [row[0] for row in cursor.fetchall()]
    # SQLite (make run) has no DISTINCT ON: the same rule as a correlated subquery.
    earlier = WebhookDelivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        deal_id=OuterRef("deal_id"),
        status=Status.PENDING,
        id__lt=OuterRef("id"),
    )
    return list(
        WebhookDelivery.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=Status.PENDING
        )
        .exclude(Exists(earlier))
        .order_by("id")
        .values_list("id", flat=True)
    )


def _claim(now) -> list[WebhookDelivery]:
    """Lease the due deliveries that are first in line for their deal and subscription."""
    heads = _heads(now)
    if not heads:
        return []
    with transaction.atomic():
        # Locked and checked again: another sender may have taken some meanwhile.
        rows = list(
            WebhookDelivery.objects.filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
                pk__in=heads,
                status=Status.PENDING,
                subscription__is_active=True,
                subscription__paused_at__isnull=True,
            )
            .select_related("subscription")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")[:CLAIM_SIZE]
        )
        WebhookDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(
            next_attempt_at=now + LEASE
        )
    return rows


# -- sending -------------------------------------------------------------------------------


class _Connections(threading.local):
    """Each sending thread's keep-alive connections, by target and checked address."""

    def __init__(self):
        self.open: dict[tuple, http.client.HTTPConnection] = {}


class Sender:
    """Posts deliveries; one per ``send_deliveries`` run, closed at its end."""

    def __init__(self):
        self.local = _Connections()
        self.every: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()

    def close(self) -> None:
        for connection in self.every:
            connection.close()

    def _connection(self, target: net.Target) -> tuple[tuple, http.client.HTTPConnection]:
        key = (target.scheme, target.host, target.port, target.address)
        connection = self.local.open.get(key)
        if connection is None:
            connection = net.pinned_connection(target)
            self.local.open[key] = connection
            with self.lock:
                self.every.append(connection)
        return key, connection

    def send(self, delivery: WebhookDelivery) -> Outcome:
        started = time.monotonic()

        def outcome(*, delivered=False, retry=False, code=None, error="") -> Outcome:
            latency = round((time.monotonic() - started) * 1000)
            return Outcome(delivery.pk, delivered, retry, code, latency, error[:ERROR_LENGTH])

        subscription = delivery.subscription
        try:
            # Resolved and checked at every attempt: a changed DNS answer is caught.
            target = net.resolve(subscription.url)
        except ValidationError as error:
            return outcome(error=" ".join(error.messages))
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            HEADER: signature_header(subscription.secret, int(time.time()), body),
            "X-PipelineCRM-Event": delivery.event_type,
            "X-PipelineCRM-Delivery": str(delivery.event_id),
        }
        for reused in (True, False):
            key, connection = self._connection(target)
            fresh = connection.sock is None
            try:
                connection.request("POST", target.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read(64 * 1024)
                # A longer answer, or one that ends the connection: not kept alive.
                if response.will_close or not response.isclosed():
                    connection.close()
                break
            except (TimeoutError, http.client.HTTPException, OSError) as error:
                connection.close()
                self.local.open.pop(key, None)
                # A kept-alive connection the receiver had closed: try once on a new one.
                if reused and not fresh and not isinstance(error, TimeoutError):
                    continue
                kind = "timeout" if isinstance(error, TimeoutError) else "connection error"
                return outcome(retry=True, error=f"{kind}: {error}")
        code = response.status
        if 200 <= code < 300:
            return outcome(delivered=True, code=code)
        retry = code >= 500 or code == 429
        return outcome(retry=retry, code=code, error=f"HTTP {code} {response.reason}")


# -- recording -----------------------------------------------------------------------------


def _retry_delay(attempts: int) -> float:
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    delay = min(base, settings.WEBHOOK_RETRY_MAX_SECONDS)
    return delay * random.uniform(1.0, 1.2)  # noqa: S311 - jitter, not a secret


@transaction.atomic
def _record(deliveries: list[WebhookDelivery], outcomes: list[Outcome]) -> None:
    now = timezone.now()
    by_id = {delivery.pk: delivery for delivery in deliveries}
    window = timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    for result in outcomes:
        delivery = by_id[result.delivery_id]
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_code = result.response_code
        delivery.latency_ms = result.latency_ms
        delivery.error = result.error
        if result.delivered:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                Status.DELIVERED,
                now,
                None,
            )
        elif result.retry and now < delivery.created_at + window:
            later = now + timedelta(seconds=_retry_delay(delivery.attempts))
            delivery.next_attempt_at = min(later, delivery.created_at + window)
        else:
            delivery.status, delivery.next_attempt_at = Status.FAILED, None
    _save_outcomes(deliveries)
    _count_failures(deliveries, outcomes, now)


_UPDATE_SQL = """
UPDATE integrations_webhookdelivery d SET
    status = v.status, attempts = v.attempts::integer,
    next_attempt_at = v.next_attempt_at::timestamptz,
    last_attempt_at = v.last_attempt_at::timestamptz,
    response_code = v.response_code::integer, latency_ms = v.latency_ms::integer,
    error = v.error, delivered_at = v.delivered_at::timestamptz
FROM (VALUES {rows}) AS v(
    id, status, attempts, next_attempt_at, last_attempt_at, response_code, latency_ms,
    error, delivered_at
)
WHERE d.id = v.id::bigint
"""


def _save_outcomes(deliveries: list[WebhookDelivery]) -> None:
    """The round's outcomes in one statement on PostgreSQL (``bulk_update``'s CASE
    expressions cost more than the sending)."""
    if db_connection.vendor != "postgresql":
        WebhookDelivery.objects.bulk_update(deliveries, RECORDED_FIELDS)
        return
    params = []
    for delivery in deliveries:
        params += [delivery.pk, *(getattr(delivery, name) for name in RECORDED_FIELDS)]
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(deliveries))
    with db_connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL.format(rows=placeholders), params)


def _count_failures(deliveries, outcomes: list[Outcome], now) -> None:
    """Failed attempts in a row per subscription; pause at the threshold."""
    subscription_of = {delivery.pk: delivery.subscription_id for delivery in deliveries}
    results: dict[int, list[bool]] = {}
    for result in sorted(outcomes, key=lambda r: r.delivery_id):
        results.setdefault(subscription_of[result.delivery_id], []).append(result.delivered)
    subscriptions = WebhookSubscription.objects.select_for_update().in_bulk(list(results))
    for pk, delivered in results.items():
        subscription = subscriptions.get(pk)
        if subscription is None:
            continue
        failures = subscription.consecutive_failures
        for ok in delivered:
            failures = 0 if ok else failures + 1
        changes = {"consecutive_failures": failures}
        pause = failures >= settings.WEBHOOK_PAUSE_AFTER_FAILURES and subscription.paused_at is None
        if pause:
            changes.update(paused_at=now, pause_reason=_pause_reason(failures))
        WebhookSubscription.objects.filter(pk=pk).update(**changes)
        if pause:
            _notify_paused(subscription, failures)


def _pause_reason(failures: int) -> str:
    """Stored once, so in the company's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(count)s failed attempts in a row.") % {"count": failures}


def _notify_paused(subscription: WebhookSubscription, failures: int) -> None:
    """In-app and by email, each admin in their own language."""
    notices = []
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"):
        with admin.own_language():
            text = _(
                "The webhook “%(name)s” was paused after %(count)s failed deliveries in a row; "
                "resume it on its page once %(url)s answers again."
            ) % {"name": subscription.name, "count": failures, "url": subscription.url}
        notices.append(Notice(recipient_id=admin.pk, kind=NOTIFICATION_KIND, text=text))
    notices_send(notices=notices, email_subject=PAUSED_SUBJECT)


# -- the run -------------------------------------------------------------------------------


def send_deliveries(*, run_seconds: float = RUN_SECONDS) -> int:
    """Send what is due, round after round, until nothing is or the run's time is up;
    the number of attempts made."""
    attempts = 0
    deadline = time.monotonic() + run_seconds
    sender = Sender()
    try:
        with ThreadPoolExecutor(max_workers=settings.WEBHOOK_SEND_CONCURRENCY) as pool:
            while time.monotonic() < deadline:
                deliveries = _claim(timezone.now())
                if not deliveries:
                    break
                outcomes = list(pool.map(sender.send, deliveries))
                _record(deliveries, outcomes)
                attempts += len(outcomes)
    finally:
        sender.close()
    return attempts


# -- what admins do ------------------------------------------------------------------------


@transaction.atomic
def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue ``delivery`` again: pending, same event id and payload; sent after commit."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.PENDING, next_attempt_at=None, delivered_at=None
    )
    delivery.refresh_from_db()
    enqueue_after_commit("integrations.tasks.send_deliveries")
    return delivery


@transaction.atomic
def queue_test_event(subscription: WebhookSubscription, *, actor: User | None) -> WebhookDelivery:
    """A ``ping`` to ``subscription``, sent after commit."""
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": "ping",
        "occurred_at": timezone.now().isoformat(),
        "actor": actor_json(None, actor),
        "data": {"message": "A test event from PipelineCRM."},
    }
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event_id=event_id, event_type="ping", payload=payload
    )
    enqueue_after_commit("integrations.tasks.send_deliveries")
    return delivery


@transaction.atomic
def subscription_resume(subscription: WebhookSubscription) -> None:
    """Clear the pause; what is still pending goes out (after commit)."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        paused_at=None, pause_reason="", consecutive_failures=0
    )
    WebhookDelivery.objects.filter(subscription=subscription, status=Status.PENDING).update(
        next_attempt_at=None
    )
    subscription.refresh_from_db()
    enqueue_after_commit("integrations.tasks.send_deliveries")
