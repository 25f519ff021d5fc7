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
    forecast_marked(marked)


def forecast_marker_sql(*, pipeline_ids: list[int], now) -> tuple[str, list]:
    """``pipeline_mark_forecast_dirty``'s UPDATE as SQL returning the marked ids, for a
    caller that writes it inside a statement of its own; pass the number of rows it
    returned to ``forecast_marked``."""
    table = Pipeline._meta.db_table
    column = Pipeline._meta.get_field("forecast_dirty_since").column
    # The names come from the model, the values are parameters.
    sql = f'UPDATE "{table}" SET "{column}" = %s WHERE "id" = ANY(%s) AND "{column}" IS NULL'  # noqa: S608
    sql += ' RETURNING "id"'
    return sql, [now, pipeline_ids]


def forecast_marked(marked: int) -> None:
    """Enqueue the (debounced) recompute after commit if a clean pipeline was marked."""
    if marked:
        enqueue_after_commit(
            "forecasting.tasks.recompute_dirty_forecasts",
            countdown=settings.FORECAST_DEBOUNCE_SECONDS,
        )
