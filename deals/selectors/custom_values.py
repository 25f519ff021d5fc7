"""Custom-field values as pages show them: the deal page's Details, the board's cards and
the timeline (docs/domain/custom-fields.md, "Where values show").

Definitions come from ``custom_fields_for`` (one query, options joined), so a page costs
the same queries with no field defined as with twenty; user names cost one more query
when a user field has a value to show.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import User
from pipelines import custom_fields as types
from pipelines.models import CustomField
from pipelines.selectors import custom_fields_for

Type = CustomField.Type


def deal_fields(pipeline_id: int) -> list[CustomField]:
    """Every field of a pipeline's deals, archived ones too (the timeline still names
    them; pages show the others): one query."""
    return custom_fields_for(pipeline_id, include_archived=True)


def user_names(fields: Iterable[CustomField], values: Iterable[dict]) -> dict[int, str]:
    """The names of the users that user fields hold in ``values`` (stored values by key),
    by id: one query, none when no user field has a value."""
    keys = [field.key for field in fields if field.type == Type.USER]
    ids = {
        stored[key]
        for stored in values
        for key in keys
        if isinstance(stored.get(key), int) and not isinstance(stored.get(key), bool)
    }
    if not ids:
        return {}
    return {user.pk: user.display_name for user in User.objects.filter(pk__in=ids)}


@dataclass(frozen=True, slots=True)
class ShownValue:
    """A field and its value as text in the active language ("" when empty)."""

    field: CustomField
    text: str

    @property
    def is_link(self) -> bool:
        return self.field.type == Type.URL and is_web_address(self.text)

    @property
    def is_long(self) -> bool:
        return self.field.type == Type.LONG_TEXT


def shown_values(
    fields: Iterable[CustomField], stored: dict | None, names: dict[int, str]
) -> list[ShownValue]:
    """Each field with the deal's value as the page shows it, empty ones included."""
    stored = stored or {}
    return [
        ShownValue(field=field, text=value_text(field, stored.get(field.key), names))
        for field in fields
    ]


def is_web_address(text: str) -> bool:
    """Whether a stored URL may be a link (the type accepts only these; belt and braces)."""
    return text.startswith(("https://", "http://"))


def value_text(field: CustomField, stored: Any, names: dict[int, str]) -> str:
    """A stored value as text in the active language; "" when empty. ``names``: from
    ``user_names``."""
    if not types.is_filled(stored):
        return ""
    if field.type == Type.USER and stored not in names:
        return _("a former user")  # deleted since: ``display`` would look for them again
    return types.display(field, stored, user_names=names)
