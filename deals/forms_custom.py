"""Custom fields in forms: one input of the right type per field (docs/domain/custom-fields.md).

The deal page, the create dialog and the refused-move dialog add the fields of the deal's
pipeline to their forms with ``add_custom_fields``; ``custom_values`` gives the cleaned
Python values by field key, which the services take as ``custom_fields=``.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from deals.selectors.custom_values import is_web_address
from pipelinecrm.form_fields import AmountField
from pipelines import custom_fields as types
from pipelines.models import CustomField

Type = CustomField.Type
PREFIX = "cf_"
EMPTY_CHOICE = ("", "—")


def form_name(field: CustomField) -> str:
    return f"{PREFIX}{field.key}"


def user_choices() -> list[tuple[int, str]]:
    """Active users by name: one query for every user field of a form."""
    users = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return [(user.pk, user.display_name) for user in users]


def _choices(field: CustomField, stored: Any) -> list[tuple[str, str]]:
    """The active options, plus an archived one the deal still holds (so it is kept)."""
    choices = [(option.key, option.label) for option in types.options_of(field)]
    held = stored if isinstance(stored, list) else [stored] if stored else []
    offered = {key for key, _label in choices}
    labels = types.option_labels(field)
    choices += [(key, labels.get(key, key)) for key in held if key not in offered]
    return choices


def form_field(field: CustomField, *, stored: Any = None, users: list | None = None) -> forms.Field:
    """The input for ``field`` (never required: checklists, not forms, demand values)."""
    common = {"label": field.name, "help_text": field.help_text, "required": False}
    if field.type == Type.TEXT:
        return forms.CharField(max_length=types.MAX_TEXT[Type.TEXT], **common)
    if field.type == Type.LONG_TEXT:
        return forms.CharField(
            max_length=types.MAX_TEXT[Type.LONG_TEXT],
            widget=forms.Textarea(attrs={"rows": 3}),
            **common,
        )
    if field.type == Type.URL:
        # A text input with the URL keyboard: the browser's own check of type="url" would
        # refuse "example.com", which the field completes to https://example.com.
        return forms.URLField(
            max_length=types.MAX_TEXT[Type.URL],
            assume_scheme="https",
            widget=forms.TextInput(attrs={"inputmode": "url"}),
            **common,
        )
    if field.type == Type.NUMBER:
        return AmountField(
            max_digits=types.MAX_DIGITS, decimal_places=types.NUMBER_PLACES, **common
        )
    if field.type == Type.MONEY:
        return AmountField(
            max_digits=types.MAX_DIGITS, decimal_places=types.MONEY_PLACES, min_value=0, **common
        )
    if field.type == Type.DATE:
        # An HTML date input: always ISO (yyyy-mm-dd), the browser shows it the user's way.
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    if field.type == Type.YES_NO:
        return forms.TypedChoiceField(
            choices=[EMPTY_CHOICE, ("yes", types.YES), ("no", types.NO)],
            coerce=lambda value: value == "yes",
            empty_value=None,
            **common,
        )
    if field.type == Type.USER:
        return forms.TypedChoiceField(
            choices=[EMPTY_CHOICE, *(users if users is not None else user_choices())],
            coerce=int,
            empty_value=None,
            **common,
        )
    if field.type == Type.SINGLE_CHOICE:
        return forms.ChoiceField(choices=[EMPTY_CHOICE, *_choices(field, stored)], **common)
    return forms.MultipleChoiceField(
        choices=_choices(field, stored), widget=forms.CheckboxSelectMultiple, **common
    )


def initial_value(field: CustomField, stored: Any) -> Any:
    """A stored value as the input's initial value."""
    value = types.to_python(field, stored)
    if field.type == Type.YES_NO and value is not None:
        return "yes" if value else "no"
    return value


@dataclass(frozen=True)
class CustomInput:
    """A custom field's input as the templates lay it out (deals/_custom_input.html):
    checkboxes in a fieldset, long text across the grid, a link to a saved web address."""

    field: forms.BoundField
    definition: CustomField

    @property
    def is_group(self) -> bool:
        return self.field.field.widget.use_fieldset

    @property
    def is_wide(self) -> bool:
        return self.is_group or self.definition.type == Type.LONG_TEXT

    @property
    def link(self) -> str:
        """The saved address (never what was just typed: it is not checked yet)."""
        if self.definition.type != Type.URL:
            return ""
        saved = self.field.form.initial.get(self.field.name) or ""
        return saved if is_web_address(saved) else ""


class CustomFieldsMixin:
    """For a ``forms.Form``: inputs for custom fields, checked by the type's rules in
    ``clean``."""

    custom_field_defs: list[CustomField]

    def add_custom_fields(self, fields: list[CustomField], stored: dict | None) -> None:
        """Add an input per field after the form's own, filled from ``stored`` (the deal's
        ``custom_fields``; None for a new deal)."""
        stored = stored or {}
        self.custom_field_defs = list(fields)
        self._custom_stored = stored
        users = user_choices() if any(f.type == Type.USER for f in fields) else None
        for field in fields:
            name = form_name(field)
            offered = users
            if field.type == Type.USER:
                offered = _with_held_user(users, stored.get(field.key))
            self.fields[name] = form_field(field, stored=stored.get(field.key), users=offered)
            self.initial.setdefault(name, initial_value(field, stored.get(field.key)))

    def custom_values(self, *, only_changed: bool = False) -> dict[str, Any]:
        """Cleaned values by field key (call after ``is_valid``); with ``only_changed``,
        only those the user changed, so an edit does not rewrite untouched fields."""
        values = {}
        for field in getattr(self, "custom_field_defs", []):
            name = form_name(field)
            if name not in self.cleaned_data:
                continue
            if only_changed and name not in self.changed_data:
                continue
            values[field.key] = self.cleaned_data[name]
        return values

    def clean_custom_fields(self) -> None:
        """The type's own rules (an archived option, an inactive user), as field errors;
        call from ``clean``."""
        for field in getattr(self, "custom_field_defs", []):
            name = form_name(field)
            if name not in self.cleaned_data:
                continue
            previous = self._custom_stored.get(field.key)
            try:
                self.cleaned_data[name] = types.clean(
                    field, self.cleaned_data[name], previous=previous
                )
            except ValidationError as error:
                self.add_error(name, error)

    def clean(self):
        data = super().clean()
        self.clean_custom_fields()
        return data

    def custom_inputs(self) -> list[CustomInput]:
        """The custom inputs, for templates that lay them out apart from the others."""
        return [
            CustomInput(field=self[form_name(definition)], definition=definition)
            for definition in getattr(self, "custom_field_defs", [])
        ]

    def own_fields(self) -> list[forms.BoundField]:
        """The visible inputs of the form's own fields, without the custom ones."""
        custom = {form_name(definition) for definition in getattr(self, "custom_field_defs", [])}
        return [field for field in self.visible_fields() if field.name not in custom]


def _with_held_user(users: list, held: Any) -> list:
    """The active users, plus a deactivated one the deal still holds: without it the select
    would show "—" and saving any other detail would clear the value."""
    if not isinstance(held, int) or isinstance(held, bool) or held in {pk for pk, _ in users}:
        return users
    user = User.objects.filter(pk=held).first()
    return [*users, (held, user.display_name)] if user else users


def custom_errors_to_form(form: forms.Form, error: ValidationError) -> bool:
    """Put a service's ``custom_fields`` refusal ("key: message") on the form's inputs;
    False when the error is about something else."""
    messages = getattr(error, "message_dict", {}).get("custom_fields")
    if not messages:
        return False
    for message in messages:
        key, _sep, text = message.partition(": ")
        name = f"{PREFIX}{key}"
        form.add_error(name if name in form.fields else None, text or message)
    return True
