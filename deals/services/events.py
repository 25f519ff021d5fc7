"""Writing a deal's timeline events, and marking those an automation causes.

A stage automation (docs/domain/webhooks.md) acts through the same services as people, with
the owner's rights: the events it causes keep ``user`` = the owner and carry
``data["automation"] = {"id": …, "name": …}``. The timeline then names the automation as
the actor, and a webhook's ``actor`` becomes ``{"automation": …}``.
"""

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from deals.models import Deal, DealEvent
from pipelinecrm.celery import ring_after_commit

_automation: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "acting_automation", default=None
)


@contextlib.contextmanager
def acting_as_automation(automation_id: int, name: str) -> Iterator[None]:
    """While active, every event written is marked as the work of this automation."""
    token = _automation.set({"id": automation_id, "name": str(name)})
    try:
        yield
    finally:
        _automation.reset(token)


def acting_automation() -> dict[str, Any] | None:
    """The automation whose work is being written (``{"id", "name"}``), or None."""
    return _automation.get()


def deal_event_record(
    *, deal: Deal, kind: str, user: User | None, data: dict[str, Any] | None = None, at=None
) -> DealEvent:
    data = dict(data or {})
    automation = _automation.get()
    if automation is not None:
        data["automation"] = dict(automation)
    event = DealEvent.objects.create(
        deal=deal, kind=kind, user=user, data=data, created_at=at or timezone.now()
    )
    deal_events_doorbell()
    return event


def deal_events_doorbell() -> None:
    """Ring the webhook dispatcher once the transaction commits (docs/domain/webhooks.md):
    once per transaction however many events it writes, no statement, and no wait for the
    broker (``ring_after_commit``). The task is named, not imported: integrations sits
    above deals. Callers that write events without ``deal_event_record`` (bulk, or inside
    one SQL statement) ring it themselves."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is _ring for _sids, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_ring)


def _ring() -> None:
    ring_after_commit("integrations.tasks.dispatch_events")
