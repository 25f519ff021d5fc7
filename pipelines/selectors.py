"""Reads of the pipeline admin pages: the pipelines list and the designer's stages."""

from django.db.models import Count, Prefetch, Q, QuerySet

from pipelines.models import ChecklistItem, Pipeline, Stage


def pipelines_for_admin() -> QuerySet[Pipeline]:
    """Every pipeline with its active-stage count and open-deal count (one query).

    Counted through the reverse relations (``stages``, ``deals``), so pipelines need not
    import deals.
    """
    return Pipeline.objects.annotate(
        stage_count=Count("stages", filter=Q(stages__is_archived=False), distinct=True),
        open_deals=Count("deals", filter=Q(deals__status="open"), distinct=True),
        all_deals=Count("deals", distinct=True),
    ).order_by("-is_active", "name", "pk")


def designer_stages(*, pipeline: Pipeline) -> list[Stage]:
    """The active stages in order, each with its open-deal count and active checklist
    items split into ``entry_items`` and ``exit_items``. Two queries."""
    items = ChecklistItem.objects.filter(is_archived=False).order_by("kind", "position", "pk")
    stages = list(
        pipeline.stages.filter(is_archived=False)
        .annotate(open_deals=Count("deals", filter=Q(deals__status="open")))
        .prefetch_related(Prefetch("checklist_items", queryset=items, to_attr="active_items"))
        .order_by("position", "pk")
    )
    for stage in stages:
        stage.entry_items = [i for i in stage.active_items if i.kind == ChecklistItem.Kind.ENTRY]
        stage.exit_items = [i for i in stage.active_items if i.kind == ChecklistItem.Kind.EXIT]
    return stages


def archived_stages(*, pipeline: Pipeline) -> QuerySet[Stage]:
    return pipeline.stages.filter(is_archived=True).order_by("name")
