"""Forms of the custom field pages (docs/domain/custom-fields.md). They parse what the
admin typed; pipelines/services/custom_fields.py decides what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminForm
from pipelines.models import CustomField, Pipeline

CHOICE_TYPES = (CustomField.Type.SINGLE_CHOICE, CustomField.Type.MULTIPLE_CHOICE)
NAME_REQUIRED = _("A field needs a name.")


class CustomFieldSettingsForm(AdminForm):
    """What can change once a field exists: name, help text, the board card."""

    name = forms.CharField(
        label=_("Name"), max_length=100, error_messages={"required": NAME_REQUIRED}
    )
    help_text = forms.CharField(
        label=_("Help text"),
        required=False,
        max_length=300,
        help_text=_("Shown under the input on the deal page."),
    )
    show_on_card = forms.BooleanField(label=_("Show on the board card"), required=False)

    @classmethod
    def for_field(cls, field: CustomField) -> "CustomFieldSettingsForm":
        return cls(
            prefix="settings",
            initial={
                "name": field.name,
                "help_text": field.help_text,
                "show_on_card": field.show_on_card,
            },
        )


class CustomFieldCreateForm(CustomFieldSettingsForm):
    pipeline = forms.ModelChoiceField(
        label=_("On the deals of"),
        queryset=Pipeline.objects.order_by("-is_active", "name", "pk"),
        required=False,
        empty_label=_("All pipelines"),
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=CustomField.Type.choices,
        help_text=_("Fixed once the field exists."),
        widget=forms.Select(attrs={"data-field-type": ""}),
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single and multiple choice: one option per line, in order."),
    )

    field_order = ["name", "pipeline", "type", "help_text", "show_on_card", "options"]

    def clean_options(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines()]

    def clean(self):
        data = super().clean()
        # Options typed before switching to another type are dropped, not refused.
        if data.get("type") not in CHOICE_TYPES:
            data["options"] = []
        return data


class OptionForm(AdminForm):
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        error_messages={"required": _("An option needs a label.")},
    )
