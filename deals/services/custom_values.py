"""A deal's custom-field values: checking a change against the field definitions and
recording it in the timeline (docs/domain/custom-fields.md).

Forms and the API clean values with pipelines/custom_fields.py first, to put an error
next to the input; ``custom_values_merge`` checks again, so no path can store a value
the type refuses or a field the deal's pipeline does not have.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from deals.models import Deal, DealEvent
from deals.services.events import deal_event_record
from pipelines import custom_fields as types
from pipelines.models import CustomField
from pipelines.selectors import custom_fields_for


def custom_values_merge(
    *, pipeline_id: int, current: dict, values: dict[str, Any]
) -> tuple[dict, list[tuple[CustomField, Any, Any]]]:
    """``current`` (stored values by key) with ``values`` (Python values by key, None to
    clear) applied: the new dict to store, and (field, old, new) for each stored value
    that changes. Raises one ValidationError naming every refused field."""
    fields = {field.key: field for field in custom_fields_for(pipeline_id)}
    merged, changes, errors = dict(current or {}), [], {}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            errors[key] = _("This deal has no field “%(key)s”.") % {"key": key}
            continue
        old = merged.get(key)
        try:
            new = types.to_stored(field, types.clean(field, value, previous=old))
        except ValidationError as error:
            errors[key] = " ".join(error.messages)
            continue
        if new == old:
            continue
        if new is None:
            merged.pop(key, None)
        else:
            merged[key] = new
        changes.append((field, old, new))
    if errors:
        raise ValidationError({"custom_fields": [f"{key}: {text}" for key, text in errors.items()]})
    return merged, changes


def custom_values_record(
    *, deal: Deal, user: User | None, changes: list[tuple[CustomField, Any, Any]]
) -> None:
    """One "edited" timeline event per changed field: old and new value as shown in the
    actor's language, and as stored, so the timeline can show them in the reader's."""
    for field, old, new in changes:
        deal_event_record(
            deal=deal,
            kind=DealEvent.Kind.EDITED,
            user=user,
            data={
                "field": field.name,
                "custom_field": field.key,
                "old": types.display(field, old),
                "new": types.display(field, new),
                "old_value": old,
                "new_value": new,
            },
        )
