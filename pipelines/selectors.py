"""Reads of the pipeline admin pages: the pipelines list, the designer's stages and one
stage's page."""

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Role, User
from pipelines.models import ChecklistItem, CustomField, CustomFieldOption, Pipeline, Stage


def pipelines_for_admin() -> QuerySet[Pipeline]:
    """Every pipeline with its active-stage count and open-deal count (one query).

    Deals are counted through the reverse relation (``deals``), so pipelines need not
    import deals; stages in a subquery, so the two counts do not multiply each other's rows.
    """
    active_stages = (
        Stage.objects.filter(pipeline=OuterRef("pk"), is_archived=False)
        .order_by()
        .values("pipeline")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Pipeline.objects.annotate(
        stage_count=Coalesce(Subquery(active_stages), 0),
        open_deals=Count("deals", filter=Q(deals__status="open")),
        all_deals=Count("deals"),
    ).order_by("-is_active", "name", "pk")


def pipelines_visible_to(user: User) -> QuerySet[Pipeline]:
    """Admins see every pipeline, archived ones too; everyone else the active ones."""
    pipelines = Pipeline.objects.all()
    is_admin = user.is_authenticated and user.role == Role.ADMIN
    return pipelines if is_admin else pipelines.filter(is_active=True)


def stages_visible_to(user: User) -> QuerySet[Stage]:
    """Admins see every stage; everyone else the active stages of active pipelines."""
    stages = Stage.objects.all()
    if user.is_authenticated and user.is_admin:
        return stages
    return stages.filter(is_archived=False, pipeline__is_active=True)


def active_pipelines() -> list[Pipeline]:
    """The pipelines with a board, by name: the board's and the dashboards' pickers."""
    return list(Pipeline.objects.filter(is_active=True).order_by("name", "id"))


def _designer_stage_queryset() -> QuerySet[Stage]:
    items = ChecklistItem.objects.filter(is_archived=False).order_by("kind", "position", "pk")
    return (
        Stage.objects.filter(is_archived=False)
        .annotate(open_deals=Count("deals", filter=Q(deals__status="open")))
        .prefetch_related(Prefetch("checklist_items", queryset=items, to_attr="active_items"))
    )


def _split_items(stage: Stage) -> None:
    """``entry_items`` and ``exit_items`` in order; each item knows whether it is the first
    or last of its list (its Move up / Move down buttons)."""
    stage.entry_items = [i for i in stage.active_items if i.kind == ChecklistItem.Kind.ENTRY]
    stage.exit_items = [i for i in stage.active_items if i.kind == ChecklistItem.Kind.EXIT]
    for items in (stage.entry_items, stage.exit_items):
        for index, item in enumerate(items):
            item.is_first, item.is_last = index == 0, index == len(items) - 1


def designer_stages(*, pipeline: Pipeline) -> list[Stage]:
    """The active stages in order, each with its open-deal count and active checklist
    items split into ``entry_items`` and ``exit_items``. Two queries."""
    stages = list(_designer_stage_queryset().filter(pipeline=pipeline).order_by("position", "pk"))
    for stage in stages:
        _split_items(stage)
    return stages


def designer_stage(*, stage_id: int) -> Stage | None:
    """One active stage for its designer page: its pipeline, open-deal count, entry and
    exit items, and the active stages before and after it (``previous_stage``,
    ``next_stage``: links between the stage pages). Three queries; None if the stage is
    archived or gone."""
    stage = _designer_stage_queryset().select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        return None
    _split_items(stage)
    siblings = list(
        Stage.objects.filter(pipeline_id=stage.pipeline_id, is_archived=False)
        .order_by("position", "pk")
        .only("pk", "name")
    )
    index = next((i for i, sibling in enumerate(siblings) if sibling.pk == stage.pk), None)
    stage.previous_stage = siblings[index - 1] if index else None
    found = index is not None and index + 1 < len(siblings)
    stage.next_stage = siblings[index + 1] if found else None
    return stage


def archived_stages(*, pipeline: Pipeline) -> QuerySet[Stage]:
    return pipeline.stages.filter(is_archived=True).order_by("name")


def custom_fields_for(
    pipeline_id: int | None, *, include_archived: bool = False
) -> list[CustomField]:
    """The custom fields on a pipeline's deals (its own and those for every pipeline), in
    designer order; ``pipeline_id=None``: every pipeline's. One query, however many fields
    (none included), so that a page costs the same with 0 fields as with 20: the options
    come in the same statement, a LEFT JOIN giving one row per option.

    Each field carries ``active_options`` (what a form offers) and ``option_labels`` (every
    option's label by key, archived ones too: a deal may still hold one), which
    pipelines/custom_fields.py reads instead of querying again.
    """
    rows = CustomField.objects.annotate(
        **{f"option_{name}": F(f"options__{name}") for name in OPTION_COLUMNS}
    ).order_by("position", "pk", "options__position", "options__pk")
    if pipeline_id is not None:
        rows = rows.filter(Q(pipeline_id=pipeline_id) | Q(pipeline__isnull=True))
    if not include_archived:
        rows = rows.filter(is_archived=False)
    fields: dict[int, CustomField] = {}
    for row in rows:
        field = fields.setdefault(row.pk, row)
        if field is row:
            field.all_options = []
        if row.option_id is not None:
            option = CustomFieldOption(
                field_id=row.pk, **{name: getattr(row, f"option_{name}") for name in OPTION_COLUMNS}
            )
            option._state.adding, option._state.db = False, row._state.db
            field.all_options.append(option)
    result = list(fields.values())
    for field in result:
        field.active_options = [o for o in field.all_options if not o.is_archived]
        field.option_labels = {o.key: o.label for o in field.all_options}
    return result


# The option columns custom_fields_for reads with each field.
OPTION_COLUMNS = ("id", "key", "label", "position", "is_archived")
