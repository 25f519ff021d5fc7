"""A deal's ``custom_fields`` object in the API (docs/domain/api.md, docs/domain/custom-fields.md).

Read: every active field of the deal's pipeline and of every pipeline, by key, typed as
JSON (``value_json``), null when empty; archived fields and fields of other pipelines are
absent. The values come from the deal's row; the definitions are read once per request
(``definitions_for``), or, for one deal, in the statement that reads it
(``with_field_types``), so that a move still answers in the statements of
docs/performance/move-request.md.

Write: a partial object, only the keys given change and null clears one, each value
checked by pipelines/custom_fields.py ``from_json`` (``values_from_json``); the services
check again when they store them.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    CharField,
    F,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Concat
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deals.models import Deal
from pipelines import custom_fields as types
from pipelines.models import CustomField
from pipelines.selectors import custom_fields_for

Type = CustomField.Type

# The components whose properties deals/api/custom_fields_schema.py fills in per request.
READ_COMPONENT, WRITE_COMPONENT = "CustomFields", "CustomFieldsRequest"
# Where a request's definitions wait for the next deal of the same answer (the root
# serializer's context, shared by nested lists such as the board's columns).
CONTEXT_KEY = "custom_field_definitions"


# -- definitions --------------------------------------------------------------------------


def with_field_types(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """``deals`` each with ``custom_field_types``, "position:id:key:type,…" of the active
    fields of its pipeline and of every pipeline ("" when none): for answers about one
    deal, where a query of its own would cost a statement. Keys are slugs, so neither
    separator occurs in them. ``definitions_for`` puts them in designer order (SQLite before
    3.44, which ``make run`` may use, cannot order inside an aggregate)."""
    fields = (
        CustomField.objects.filter(
            Q(pipeline_id=OuterRef("pipeline_id")) | Q(pipeline__isnull=True), is_archived=False
        )
        .order_by()
        # Grouped by a constant, i.e. by nothing: one row, whatever the number of fields.
        .annotate(everything=Value(1))
        .values("everything")
        .annotate(
            types_=StringAgg(
                Concat(
                    F("position"),
                    Value(":"),
                    F("pk"),
                    Value(":"),
                    F("key"),
                    Value(":"),
                    F("type"),
                    output_field=CharField(),
                ),
                Value(","),
            )
        )
        .values("types_")
    )
    return deals.annotate(
        custom_field_types=Coalesce(Subquery(fields), Value(""), output_field=TextField())
    )


def keep_field_types(moved: Deal, *, read: Deal) -> Deal:
    """A deal a service returned without the annotation: it keeps the one of the deal as
    the request first read it, unless it changed pipelines (then ``definitions_for`` reads
    the definitions of its new pipeline)."""
    if moved.pipeline_id == read.pipeline_id and hasattr(read, "custom_field_types"):
        moved.custom_field_types = read.custom_field_types
    return moved


def _from_annotation(text: str) -> list[CustomField]:
    entries = sorted(
        (int(position), int(pk), key, type_)
        for position, pk, key, type_ in (entry.split(":") for entry in text.split(",") if entry)
    )
    return [CustomField(pk=pk, key=key, type=type_) for _position, pk, key, type_ in entries]


def definitions_for(deal: Deal, context: dict) -> list[CustomField]:
    """The active fields on ``deal``: from its annotation, else from every field read once
    for the whole answer (one ``custom_fields_for`` per request, kept in ``context``)."""
    annotated = getattr(deal, "custom_field_types", None)
    if annotated is not None:
        return _from_annotation(annotated)
    every = context.get(CONTEXT_KEY)
    if every is None:
        every = context[CONTEXT_KEY] = custom_fields_for(None)
    return [f for f in every if f.pipeline_id is None or f.pipeline_id == deal.pipeline_id]


# -- reading ------------------------------------------------------------------------------


def value_json(field: CustomField, stored: Any) -> Any:
    """A stored value as the API answers it: decimals as strings with the type's places
    (money as ``value``: "12500.50"), dates ISO, choices option keys, users ids; None
    when empty or unreadable (written under another type)."""
    value = types.to_python(field, stored) if types.is_filled(stored) else None
    if value is None:
        return None
    if field.type in types.DECIMAL_TYPES:
        places = types.MONEY_PLACES if field.type == Type.MONEY else types.NUMBER_PLACES
        return format(value.quantize(Decimal(1).scaleb(-places)), "f")
    if field.type == Type.DATE:
        return value.isoformat()
    return value


def values_json(fields: list[CustomField], stored: dict | None) -> dict[str, Any]:
    stored = stored or {}
    return {field.key: value_json(field, stored.get(field.key)) for field in fields}


# -- writing ------------------------------------------------------------------------------


def values_from_json(*, pipeline_id: int, values: dict, current: dict | None) -> dict[str, Any]:
    """The API's ``custom_fields`` as Python values for the services; raises a 400 with
    ``{"custom_fields": {key: [messages]}}`` naming every refused key (unknown and
    archived keys included). ``current``: the deal's stored values (it may keep an
    option archived since)."""
    fields = {field.key: field for field in custom_fields_for(pipeline_id)}
    current = current or {}
    cleaned, errors = {}, {}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            errors[key] = [_("This deal has no field “%(key)s”.") % {"key": key}]
            continue
        try:
            cleaned[key] = types.from_json(field, value, previous=current.get(key))
        except ValidationError as error:
            errors[key] = error.messages
    if errors:
        raise serializers.ValidationError({"custom_fields": errors})
    return cleaned


# -- serializer fields ----------------------------------------------------------------------


@extend_schema_field({"type": "object"}, component_name=READ_COMPONENT)
class CustomFieldValuesField(serializers.Field):
    """The read side: the whole deal in (``source="*"``), its typed values out."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, deal: Deal) -> dict[str, Any]:
        return values_json(definitions_for(deal, self.context), deal.custom_fields)


@extend_schema_field({"type": "object"}, component_name=WRITE_COMPONENT)
class CustomFieldsInputField(serializers.DictField):
    """The write side: a JSON object of values by key, null clearing one. The keys and the
    values are checked against the deal's pipeline by ``values_from_json``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.JSONField(allow_null=True))
        super().__init__(**kwargs)
