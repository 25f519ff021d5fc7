"""The deals' ``custom_fields`` in the OpenAPI schema: typed by the fields defined now.

The schema is generated per request (``/api/schema/``), and this post-processing hook
(SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) fills in the two components that
deals/api/custom_fields.py declares with one property per active field, so a client
generated from the schema gets a typed attribute for each (docs/domain/api.md).

The schema is public, but field names, options and pipeline names are the company's: an
anonymous request gets the components as plain objects. The ``spectacular`` command
(no request) is run by whoever runs the server, and gets the fields.
"""

from typing import Any

from django.db import DatabaseError

from deals.api.custom_fields import READ_COMPONENT, WRITE_COMPONENT
from pipelines import custom_fields as types
from pipelines.models import CustomField, Pipeline
from pipelines.selectors import custom_fields_for

Type = CustomField.Type

READ_DESCRIPTION = (
    "The deal's custom fields by key: every active field of its pipeline and those of "
    "every pipeline, each present, null when empty. Money and numbers are decimal strings "
    "(2 and 4 decimals), dates ISO 8601, choices option keys (a list for multiple choice), "
    "yes/no a boolean, a user their id. The properties are the fields defined when this "
    "schema was fetched."
)
WRITE_DESCRIPTION = (
    "Custom-field values by key, of fields on the deal's pipeline: only the keys given "
    "change, null clears a value. Numbers may also be sent as JSON numbers."
)
SIGN_IN = " Fetch the schema signed in to see the fields."


def _decimal(field: CustomField) -> dict[str, Any]:
    places = types.MONEY_PLACES if field.type == Type.MONEY else types.NUMBER_PLACES
    sign = "" if field.type == Type.MONEY else "-?"
    return {
        "type": "string",
        "format": "decimal",
        "pattern": rf"^{sign}\d{{0,{types.MAX_DIGITS - places}}}(?:\.\d{{0,{places}}})?$",
    }


def _value_schema(field: CustomField, option_keys: list[str]) -> dict[str, Any]:
    if field.type in (Type.TEXT, Type.LONG_TEXT):
        return {"type": "string", "maxLength": types.MAX_TEXT[field.type]}
    if field.type == Type.URL:
        return {"type": "string", "format": "uri", "maxLength": types.MAX_TEXT[field.type]}
    if field.type in types.DECIMAL_TYPES:
        return _decimal(field)
    if field.type == Type.DATE:
        return {"type": "string", "format": "date"}
    if field.type == Type.SINGLE_CHOICE:
        # A nullable enum lists null too (OpenAPI 3.0.3), or validators refuse it.
        return {"type": "string", "enum": [*option_keys, None]}
    if field.type == Type.MULTIPLE_CHOICE:
        # An enum needs at least one value: a field without options takes only [].
        items = {"type": "string", "enum": option_keys} if option_keys else {"type": "string"}
        return {"type": "array", "items": items, "uniqueItems": True} | (
            {} if option_keys else {"maxItems": 0}
        )
    if field.type == Type.YES_NO:
        return {"type": "boolean"}
    return {"type": "integer", "minimum": 1}  # a user's id


def _description(field: CustomField, pipelines: dict[int, str]) -> str:
    parts = [field.help_text] if field.help_text else []
    if field.pipeline_id is not None:
        parts.append(f"Only on the deals of the pipeline “{pipelines[field.pipeline_id]}”.")
    return " ".join(parts)


def _property(field: CustomField, pipelines: dict[int, str], *, write: bool) -> dict[str, Any]:
    # Answers may hold an option archived since; requests choose among the offered ones.
    options = field.active_options if write else field.all_options
    schema = _value_schema(field, [option.key for option in options])
    schema |= {"nullable": True, "title": field.name}
    description = _description(field, pipelines)
    if description:
        schema["description"] = description
    return schema


def describe_custom_fields(result, generator, request, public):
    """Schema post-processing: the custom fields' components, one property per field."""
    schemas = result.get("components", {}).get("schemas", {})
    if READ_COMPONENT not in schemas:
        return result
    read, write = schemas[READ_COMPONENT], schemas.get(WRITE_COMPONENT, {})
    read["description"], write["description"] = READ_DESCRIPTION, WRITE_DESCRIPTION
    if request is not None and not request.user.is_authenticated:
        read["description"] += SIGN_IN
        write["description"] += SIGN_IN
        return result
    try:
        fields = custom_fields_for(None)
        pipeline_ids = {field.pipeline_id for field in fields} - {None}
        pipelines = dict(Pipeline.objects.filter(pk__in=pipeline_ids).values_list("pk", "name"))
    except DatabaseError:
        # Only outside a request: `manage.py check --deploy` generates the schema where
        # no database may exist yet (an image build); the served schema lists the fields.
        if request is not None:
            raise
        return result
    read["properties"] = {field.key: _property(field, pipelines, write=False) for field in fields}
    if write:
        write["properties"] = {
            field.key: _property(field, pipelines, write=True) for field in fields
        }
        write["additionalProperties"] = False
    return result
