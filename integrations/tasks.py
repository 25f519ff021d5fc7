"""The webhook jobs (docs/domain/webhooks.md): the dispatcher and the sender, rung after a
change commits and run by beat every few seconds (WEBHOOK_DISPATCH_SECONDS,
WEBHOOK_SEND_SECONDS)."""

from celery import shared_task

from integrations import delivery, dispatch
from pipelinecrm.celery import JOB_OPTIONS


@shared_task(
    name="integrations.tasks.dispatch_events", soft_time_limit=120, time_limit=150, **JOB_OPTIONS
)
def dispatch_events() -> int:
    return dispatch.dispatch_events()


@shared_task(
    name="integrations.tasks.send_deliveries", soft_time_limit=240, time_limit=300, **JOB_OPTIONS
)
def send_deliveries() -> int:
    return delivery.send_deliveries()
