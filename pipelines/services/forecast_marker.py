"""The durable request for a forecast recompute, written inside the caller's transaction."""

from django.conf import settings
from django.utils import timezone

from pipelinecrm.celery import enqueue_after_commit
from pipelines.models import Pipeline


def pipeline_mark_forecast_dirty(*, pipeline_id: int) -> None:
    """Ask for a forecast recompute; durable, inside the caller's transaction.

    Only a clean pipeline is written, so a burst of moves costs one UPDATE that matters,
    and only that one enqueues the (debounced) recompute; the marker is what makes the
    request durable, the message only makes it prompt.
    """
    marked = Pipeline.objects.filter(pk=pipeline_id, forecast_dirty_since__isnull=True).update(
        forecast_dirty_since=timezone.now()
    )
    if marked:
        enqueue_after_commit(
            "forecasting.tasks.recompute_dirty_forecasts",
            countdown=settings.FORECAST_DEBOUNCE_SECONDS,
        )
