from django.utils import timezone

from pipelines.models import Pipeline, Stage


def pipeline_mark_forecast_dirty(*, pipeline_id: int) -> None:
    """Ask for a forecast recompute; durable, inside the caller's transaction.

    Only a clean pipeline is written, so a burst of moves costs one UPDATE that matters.
    """
    Pipeline.objects.filter(pk=pipeline_id, forecast_dirty_since__isnull=True).update(
        forecast_dirty_since=timezone.now()
    )


def stages_lock(*, stage_ids: list[int]) -> None:
    """Serialise position changes of these columns (locked in id order: no deadlocks)."""
    list(Stage.objects.select_for_update().filter(pk__in=stage_ids).order_by("pk").values("pk"))
