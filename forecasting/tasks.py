"""Background jobs (docs/domain/stalls-and-forecast.md): thin tasks that call a service.

Every task is idempotent (the services claim their rows by compare-and-swap), acknowledged
late so that a worker killed mid-task leaves its message to be delivered again, and
retried with back-off on transient database errors (a lost connection, a deadlock, SQLite's
"database is locked"). Periodic runs expire after their interval (CELERY_BEAT_SCHEDULE):
the next run does the same work.
"""

from celery import shared_task

from forecasting.services.forecast import forecasts_recompute, forecasts_recompute_dirty
from forecasting.services.reminders import activities_remind
from forecasting.services.retention import retention_apply
from forecasting.services.stalls import deals_flag_stalled
from pipelinecrm.celery import JOB_OPTIONS


@shared_task(**JOB_OPTIONS, soft_time_limit=300, time_limit=360)
def flag_stalled_deals() -> dict:
    run = deals_flag_stalled()
    return {"flagged": run.flagged, "corrected": run.corrected}


@shared_task(**JOB_OPTIONS, soft_time_limit=600, time_limit=660)
def recompute_forecasts() -> int:
    return forecasts_recompute()


@shared_task(**JOB_OPTIONS, soft_time_limit=300, time_limit=360)
def recompute_dirty_forecasts() -> list[int]:
    """Enqueued with a countdown after deal changes, and swept periodically."""
    return forecasts_recompute_dirty()


@shared_task(**JOB_OPTIONS, soft_time_limit=120, time_limit=150)
def remind_activities() -> dict:
    run = activities_remind()
    return {"due_soon": run.due_soon, "overdue": run.overdue}


@shared_task(**JOB_OPTIONS, soft_time_limit=600, time_limit=660)
def apply_retention() -> dict:
    run = retention_apply()
    return {"snapshots": run.snapshots_deleted, "notifications": run.notifications_deleted}
