"""Reads of the custom field admin pages: the list of definitions and one field's page
(docs/domain/custom-fields.md). Forms and the deal pages read definitions through
``pipelines.selectors.custom_fields_for``."""

from django.db.models import Count, Prefetch, Q, QuerySet

from pipelines.models import ChecklistItem, CustomField, CustomFieldOption, Pipeline


def deals_holding(field: CustomField) -> int:
    """How many deals hold a value of ``field``: through the pipelines' reverse relation,
    so pipelines need not import deals; the GIN index on the values answers the key test."""
    holding = Pipeline.objects.filter(deals__custom_fields__has_key=field.key)
    return holding.aggregate(count=Count("deals"))["count"]


def _listed_fields() -> QuerySet[CustomField]:
    return (
        CustomField.objects.select_related("pipeline")
        .annotate(option_count=Count("options", filter=Q(options__is_archived=False)))
        .order_by("position", "pk")
    )


def custom_fields_for_admin(*, pipeline_id: int | None = None) -> list[CustomField]:
    """Every field, or those on ``pipeline_id``'s deals (its own and those for every
    pipeline), active ones in order then archived ones by name, each with its pipeline and
    its count of offered options. One query."""
    fields = _listed_fields()
    if pipeline_id is not None:
        fields = fields.filter(Q(pipeline_id=pipeline_id) | Q(pipeline=None))
    fields = list(fields)
    active = [field for field in fields if not field.is_archived]
    for index, field in enumerate(active):
        field.is_first, field.is_last = index == 0, index == len(active) - 1
    archived = sorted((f for f in fields if f.is_archived), key=lambda f: f.name.casefold())
    return active + archived


def custom_field_page(*, field_id: int) -> CustomField | None:
    """One field for its page: its pipeline, its options in order (``offered`` and
    ``archived_options``, each offered one knowing whether it is first or last), the
    checklist items that name it (``items``, with stage and pipeline) and how many deals
    hold a value (``deal_count``). Four queries; None if it does not exist."""
    items = ChecklistItem.objects.select_related("stage__pipeline").order_by(
        "stage__pipeline__name", "stage__position", "kind", "position", "pk"
    )
    field = (
        CustomField.objects.select_related("pipeline")
        .prefetch_related(
            Prefetch(
                "options",
                queryset=CustomFieldOption.objects.order_by("position", "pk"),
                to_attr="all_options",
            ),
            Prefetch("checklist_items", queryset=items, to_attr="items"),
        )
        .filter(pk=field_id)
        .first()
    )
    if field is None:
        return None
    field.offered = [option for option in field.all_options if not option.is_archived]
    field.archived_options = [option for option in field.all_options if option.is_archived]
    for index, option in enumerate(field.offered):
        option.is_first, option.is_last = index == 0, index == len(field.offered) - 1
    field.deal_count = deals_holding(field)
    return field
