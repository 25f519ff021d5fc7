"""Row locks that serialise changes to a pipeline's columns: always stages in id order,
then the pipeline row, so every path takes them in one order and none deadlocks."""

from pipelines.models import Pipeline, Stage


def stages_lock(*, stage_ids: list[int]) -> None:
    """Serialise position changes of these columns (locked in id order: no deadlocks)."""
    list(Stage.objects.select_for_update().filter(pk__in=stage_ids).order_by("pk").values("pk"))


def pipeline_structure_lock(*, pipeline_id: int) -> Pipeline:
    """Serialise changes to a pipeline's stages; returns the locked pipeline.

    The stage rows are locked in id order first, as deal_move and deal_create lock them,
    and the pipeline row last (a move only updates it after its stage locks): one order
    everywhere, so no deadlock. Holding the stage rows makes a concurrent move wait and
    then compare the new positions. The pipeline row also serialises adding the first
    stage of an empty pipeline.
    """
    list(
        Stage.objects.select_for_update()
        .filter(pipeline_id=pipeline_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return Pipeline.objects.select_for_update().get(pk=pipeline_id)
