"""Custom fields in the lists of deals: their filters as they live in the URL, the search of
their text and the order by one of them (docs/domain/custom-fields.md, "Lists, filters, CSV").

The URL names a field by its key (``cf_<key>``), with values as links write them:

- ``cf_competitor=acme,globex`` (or the parameter repeated, as a form sends it): any of
  these options; a multiple-choice field holds any of them; ``cf_budget_confirmed=yes``
  (``yes`` / ``no``); ``cf_technical_contact=42`` (a user's id);
- ``cf_budget__min=10000`` / ``cf_budget__max=…``: numbers and money with a decimal point,
  dates ISO (a number typed the user's way, ``12.500,50``, is read too);
- ``cf_note=cheap``: text, long text and URL fields containing it;
- ``cf_<key>=__filled`` / ``__empty``: every type.

Junk is ignored, never an error, as with the other filters: an unknown field or option, a
malformed number. Each filter is one condition on the deal's ``custom_fields`` jsonb: a
containment test (``@>``) or a key test (``?``), which the GIN index serves, or a cast of
the value for a range; all of them go into the list's one query.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    DateField,
    DecimalField,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim
from django.db.models.lookups import Exact, GreaterThanOrEqual, IContains, LessThanOrEqual, Regex

from accounts.models import User
from pipelinecrm.form_fields import ungrouped
from pipelines import custom_fields as types
from pipelines.models import CustomField

Type = CustomField.Type
PREFIX = "cf_"
MIN, MAX = "__min", "__max"
FILLED, EMPTY = "__filled", "__empty"
MAX_TEXT = 100
YES_NO = {"yes": True, "no": False}
_PLAIN_NUMBER = re.compile(r"-?\d{1,20}(\.\d{1,10})?")
_TOKEN = re.compile(r"[-\w]{1,50}", re.ASCII)
# What a stored number or date looks like; anything else (a value kept from before a change
# of the field's type) sorts and compares as empty instead of failing the cast.
_STORED_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_STORED_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
NUMERIC = DecimalField(max_digits=24, decimal_places=4)


def param_values(params, name: str) -> list[str]:
    """Every value of ``name``: the parameter repeated (a form) or comma-separated (a link)."""
    raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name, "")]
    return [part.strip() for value in raw for part in str(value).split(",") if part.strip()]


def uses_custom_fields(params) -> bool:
    """Whether a query string names any custom field (filters, a column or the sort)."""
    sort = str(params.get("sort", "") or "").removeprefix("-")
    return (
        sort.startswith(PREFIX)
        or bool(params.get("cols"))
        or any(str(name).startswith(PREFIX) for name in params)
    )


def plain_number(text: str) -> str:
    """A number of the URL ("12500.5"), or typed the user's way ("12.500,50"), as plain
    text; "" when it is none."""
    text = text.replace(" ", "").replace("\u00a0", "")
    if not _PLAIN_NUMBER.fullmatch(text):
        text = ungrouped(text).replace(",", ".") if len(text) <= 40 else ""
        if not _PLAIN_NUMBER.fullmatch(text):
            return ""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return ""
    return format(number.normalize(), "f")


def iso_day(text: str) -> str:
    """A date of the URL (ISO) or typed the user's way (07.12.2026) as ISO; "" if none."""
    try:
        return types.parse_day(text[:20]).isoformat()
    except (ValidationError, ValueError):
        return ""


@dataclass(frozen=True)
class CustomFilter:
    """One field's filter: ``values`` (any of; for text, the one text it must contain),
    a range ``low``–``high`` (plain numbers or ISO dates) or ``presence``."""

    key: str
    type: str
    values: tuple[str, ...] = ()
    low: str = ""
    high: str = ""
    presence: str = ""

    @classmethod
    def from_query(cls, field: CustomField, params) -> "CustomFilter | None":
        """The filter of ``field`` in ``params``; None when the URL has none for it."""
        name = f"{PREFIX}{field.key}"
        values = param_values(params, name)
        presence = next((value for value in values if value in (FILLED, EMPTY)), "")
        if presence:
            return cls(key=field.key, type=field.type, presence=presence)
        if field.type in types.ORDERED_TYPES:
            read = iso_day if field.type == Type.DATE else plain_number
            low = read(str(params.get(name + MIN, "") or ""))
            high = read(str(params.get(name + MAX, "") or ""))
            return cls(key=field.key, type=field.type, low=low, high=high) if low or high else None
        if field.type in types.TEXT_TYPES:
            raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name, "")]
            text = " ".join(str(value) for value in raw).replace("\x00", "").strip()[:MAX_TEXT]
            return cls(key=field.key, type=field.type, values=(text,)) if text else None
        kept = [value for value in dict.fromkeys(values) if _TOKEN.fullmatch(value)]
        if field.type in types.CHOICE_TYPES:
            # Options by designer order; archived ones too, as deals may still hold them.
            order = list(types.option_labels(field))
            kept = sorted((key for key in kept if key in order), key=order.index)
        elif field.type == Type.YES_NO:
            kept = [value for value in YES_NO if value in kept]
        else:  # a user: an id
            kept = [value for value in kept if value.isdigit() and len(value) < 19]
        return cls(key=field.key, type=field.type, values=tuple(kept)) if kept else None

    def as_query(self) -> dict[str, str]:
        name = f"{PREFIX}{self.key}"
        if self.presence:
            return {name: self.presence}
        query = {name + MIN: self.low, name + MAX: self.high}
        if self.values:
            query[name] = ",".join(self.values)
        return {key: value for key, value in query.items() if value}

    def condition(self) -> Q:
        """The SQL condition on the deal, for ``QuerySet.filter``."""
        if self.presence:
            filled = Q(custom_fields__has_key=self.key)
            return filled if self.presence == FILLED else ~filled
        if self.type in types.ORDERED_TYPES:
            value = ordered_value(self.key, self.type)
            bound = datetime.date.fromisoformat if self.type == Type.DATE else Decimal
            condition = Q()
            if self.low:
                condition &= Q(GreaterThanOrEqual(value, bound(self.low)))
            if self.high:
                condition &= Q(LessThanOrEqual(value, bound(self.high)))
            return condition
        if self.type in types.TEXT_TYPES:
            return Q(IContains(KeyTextTransform(self.key, "custom_fields"), self.values[0]))
        if self.type == Type.YES_NO:
            stored = [YES_NO[value] for value in self.values]
        elif self.type == Type.USER:
            stored = [int(value) for value in self.values]
        else:
            stored = list(self.values)
        many = self.type == Type.MULTIPLE_CHOICE
        return reduce(or_, (_holds(self.key, value, many=many) for value in stored))


def _holds(key: str, value, *, many: bool) -> Q:
    """The deal's value of ``key`` is ``value`` (or, ``many``, a list holding it)."""
    if connection.vendor == "postgresql":
        # custom_fields @> '{"key": value}': served by the GIN index deal_custom_fields_gin.
        return Q(custom_fields__contains={key: [value] if many else value})
    # SQLite (the zero-setup `make run` only) has no containment: compare the value as
    # SQLite reads it out of the JSON ("true" for a yes, an integer for a user, the text of
    # an option), or look for the option's quoted key in a list's text.
    text = KeyTextTransform(key, "custom_fields")
    if many:
        return Q(IContains(text, f'"{value}"'))
    if isinstance(value, bool):
        return Q(Exact(text, "true" if value else "false"))
    if isinstance(value, int):
        return Q(Exact(text, Value(value, output_field=IntegerField())))
    return Q(Exact(text, value))


def ordered_value(key: str, type_: str) -> Expression:
    """The value of a number, money or date field as SQL numeric or date; NULL when empty."""
    text = KeyTextTransform(key, "custom_fields")
    is_date = type_ == Type.DATE
    pattern, output = (_STORED_DATE, DateField()) if is_date else (_STORED_NUMBER, NUMERIC)
    return Case(When(Regex(text, pattern), then=Cast(text, output)), output_field=output)


def sort_value(field: CustomField) -> Expression:
    """What the list orders by for ``field``: numbers, money and dates by value, a single
    choice in the options' designer order, a user by name, other types by their text."""
    if field.type in types.ORDERED_TYPES:
        return ordered_value(field.key, field.type)
    text = KeyTextTransform(field.key, "custom_fields")
    if field.type == Type.SINGLE_CHOICE:
        whens = [
            When(Exact(text, key), then=Value(index))
            for index, key in enumerate(types.option_labels(field))
        ]
        return Case(*whens, default=None) if whens else Value(None)
    if field.type == Type.USER:
        outer = KeyTextTransform(field.key, OuterRef("custom_fields"))
        user_id = Case(When(Regex(outer, r"^[0-9]{1,18}$"), then=Cast(outer, NUMERIC)))
        full_name = Trim(Concat("first_name", Value(" "), "last_name", output_field=TextField()))
        name = Coalesce(NullIf(full_name, Value("")), "username", output_field=TextField())
        return Subquery(
            User.objects.filter(pk=user_id).annotate(name=name).values("name")[:1],
            output_field=TextField(),
        )
    return text


class JSONValueText(Func):
    """``json ->> key`` where the key is a column: a deal's value of a field as text."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        (json_sql, json_params), (key_sql, key_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"({json_sql} ->> {key_sql})", (*json_params, *key_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        (json_sql, json_params), (key_sql, key_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"json_extract({json_sql}, '$.\"' || {key_sql} || '\"')", (
            *json_params,
            *key_params,
        )


def text_search(q: str) -> Exists:
    """Whether a text, long text or URL field of the deal's pipeline (or of every pipeline)
    contains ``q``: the search box's part in custom fields. Inside the list's query; it
    reads the active text fields there, so the caller needs no definitions."""
    fields = CustomField.objects.filter(type__in=types.TEXT_TYPES, is_archived=False).filter(
        Q(pipeline__isnull=True) | Q(pipeline_id=OuterRef("pipeline_id"))
    )
    value = JSONValueText(OuterRef("custom_fields"), F("key"))
    return Exists(fields.annotate(value=value).filter(value__icontains=q))
