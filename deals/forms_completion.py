"""The refused-move dialog's inputs for custom-field items (docs/domain/checklists.md).

A missing item that names a custom field is completed in the dialog with an input of the
field's type (deals/forms_custom.py), shaped by what the item asks, so that the user sees
what will satisfy it: "is yes" is one checkbox, "is one of" offers the allowed options of
a single choice (and marks them among a multiple choice's), "at least / at most" puts the
bound in the label ("Term (months) — at least 12"). Several items may name one field;
it gets one input, under the first of them.
"""

from django import forms
from django.utils.translation import gettext as _

from deals.forms_custom import EMPTY_CHOICE, form_name
from pipelines import custom_fields as types
from pipelines.models import ChecklistItem, CustomField

Condition = ChecklistItem.Condition
# "at least / at most …" in an input's label: "Term (months) — at least 12".
BOUNDS = {
    Condition.AT_LEAST: lambda value: _("at least %(value)s") % {"value": value},
    Condition.AT_MOST: lambda value: _("at most %(value)s") % {"value": value},
}


def items_by_field(items) -> dict[str, tuple[CustomField, list[ChecklistItem]]]:
    """The custom-field items among ``items`` by field key, in the items' order. An
    archived field has no input: its values cannot be changed (docs/domain/custom-fields.md)."""
    grouped: dict[str, tuple[CustomField, list[ChecklistItem]]] = {}
    for item in items:
        if item.satisfied_by != ChecklistItem.SatisfiedBy.CUSTOM_FIELD:
            continue
        if item.custom_field.is_archived:
            continue
        grouped.setdefault(item.custom_field.key, (item.custom_field, []))[1].append(item)
    return grouped


def shape_input(input_: forms.Field, field: CustomField, items: list[ChecklistItem]) -> forms.Field:
    """``input_`` (the field's own input) as the dialog offers it for ``items``."""
    conditions = {item.condition for item in items}
    if field.type == CustomField.Type.YES_NO and Condition.YES in conditions:
        return forms.BooleanField(
            label=types.condition_sentence(field, Condition.YES, None),
            help_text=field.help_text,
            required=False,
        )
    allowed = _allowed_options(items)
    if allowed is not None and field.type == CustomField.Type.SINGLE_CHOICE:
        input_.choices = [EMPTY_CHOICE] + [
            (key, label) for key, label in input_.choices if key in allowed
        ]
    elif allowed is not None and field.type == CustomField.Type.MULTIPLE_CHOICE:
        input_.choices = [
            (key, _("%(option)s (meets the rule)") % {"option": label} if key in allowed else label)
            for key, label in input_.choices
        ]
    bounds = [_bound(item) for item in items if item.condition in BOUNDS]
    if bounds:
        input_.label = _("%(field)s — %(bounds)s") % {
            "field": field.name,
            "bounds": ", ".join(bounds),
        }
    return input_


def _bound(item: ChecklistItem) -> str:
    value = types.condition_operand_text(item.custom_field, item.condition, item.condition_value)
    return BOUNDS[item.condition](value)


def _allowed_options(items: list[ChecklistItem]) -> set[str] | None:
    """The options every "is one of" item of the field accepts; None when no item asks
    for one (or they agree on none: then every option is offered)."""
    operands = [
        set(item.condition_value or []) for item in items if item.condition == Condition.ONE_OF
    ]
    if not operands:
        return None
    allowed = set.intersection(*operands)
    return allowed or None


def dialog_auto_id(deal) -> str:
    """The ids of the dialog's inputs: apart from the deal page's own (``deal-<id>-cf_<key>``),
    which may be on the page under the dialog."""
    return f"refused-{deal.pk}-%s"


class CustomItemInputs:
    """For the dialog's ``forms.Form`` with ``CustomFieldsMixin``: one input per field
    that the given custom-field items name, named ``cf_<key>``, filled in with the deal's
    value (``stored``: its ``custom_fields``)."""

    def add_custom_item_inputs(self, items, stored: dict | None) -> None:
        grouped = items_by_field(items)
        self.add_custom_fields([field for field, _items in grouped.values()], stored)
        self._custom_inputs: dict[str, str] = {}  # field key → input name, in item order
        self._first_items: dict[int, str] = {}  # id of the item an input is shown under → key
        for key, (field, field_items) in grouped.items():
            name = form_name(field)
            shaped = shape_input(self.fields[name], field, field_items)
            self.fields[name] = shaped
            if isinstance(shaped, forms.BooleanField):  # "is yes": ticked when it is
                self.initial[name] = types.to_python(field, (stored or {}).get(key)) is True
            self._custom_inputs[key] = name
            self._first_items[field_items[0].pk] = key

    def custom_input_names(self) -> list[tuple[str, str]]:
        """(field key, input name) of each input."""
        return list(self._custom_inputs.items())

    def custom_item_inputs(self) -> list[tuple[str, forms.BoundField]]:
        """(field key, bound input) of each input."""
        return [(key, self[name]) for key, name in self._custom_inputs.items()]

    def custom_item_input(self, item: ChecklistItem) -> tuple[str, forms.BoundField] | None:
        """(field key, bound input) shown under ``item``: the first item naming its field."""
        key = self._first_items.get(item.pk)
        return (key, self[self._custom_inputs[key]]) if key else None
