from django import forms
from django.utils.translation import gettext_lazy as _

from deals.forms_completion import CustomItemInputs
from deals.forms_custom import CustomFieldsMixin
from deals.forms_deal import datalist_attrs
from deals.models import Deal, LostReason
from pipelinecrm.form_fields import AmountField
from pipelines.models import ActivityKind


class MoveForm(forms.Form):
    """A move as the board sends it: the target stage, where in it, and the version seen.

    The board sends the neighbouring cards (``before``: the card now below the dropped one,
    ``after``: the card above); the server turns them into an index among all open cards of
    the column, whatever the filters on screen (docs/domain/moves.md).
    """

    stage = forms.IntegerField(min_value=1)
    version = forms.IntegerField(min_value=1)
    pipeline = forms.IntegerField(min_value=1, required=False)
    position = forms.IntegerField(min_value=0, required=False)
    before = forms.IntegerField(min_value=1, required=False)
    after = forms.IntegerField(min_value=1, required=False)
    override_reason = forms.CharField(max_length=1000, required=False, strip=True)
    source = forms.ChoiceField(choices=[("drag", "drag"), ("dialog", "dialog")], required=False)


class CompletionForm(CustomItemInputs, CustomFieldsMixin, forms.Form):
    """What the refused-move dialog lets a user complete
    before confirming (docs/domain/moves.md): with ``custom_items``, an input for each
    custom field they name (deals/forms_completion.py), filled in from ``stored``."""

    check = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    value = AmountField(max_digits=14, decimal_places=2, min_value=0, required=False)
    # The dialog's <input type="date"> always sends ISO dates: not localized.
    expected_close_date = forms.DateField(required=False)
    organization_name = forms.CharField(max_length=200, required=False, strip=True)
    person_name = forms.CharField(max_length=200, required=False, strip=True)
    activity_kind = forms.ChoiceField(choices=[("", "—"), *ActivityKind.choices], required=False)
    activity_subject = forms.CharField(max_length=200, required=False, strip=True)

    def __init__(self, *args, manual_item_ids=(), custom_items=(), stored=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["check"].choices = [(pk, pk) for pk in manual_item_ids]
        self.add_custom_item_inputs(custom_items, stored)

    def clean(self):
        data = super().clean()
        if data.get("activity_kind") and not data.get("activity_subject"):
            self.add_error("activity_subject", _("Say in a few words what happened."))
        return data


class LostForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    reason = forms.ModelChoiceField(
        queryset=LostReason.objects.filter(is_active=True),
        empty_label=_("Choose a reason…"),
        error_messages={"required": _("Choose why the deal was lost.")},
    )
    note = forms.CharField(
        label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    override_reason = forms.CharField(max_length=1000, required=False, strip=True)
    source = forms.ChoiceField(choices=[("drag", "drag"), ("dialog", "dialog")], required=False)


class DealCreateForm(CustomFieldsMixin, forms.ModelForm):
    """The board's "+" dialog: the deal's own fields, then the pipeline's custom fields,
    all optional (docs/domain/custom-fields.md)."""

    # More custom fields than this fold under "More fields" in the dialog.
    CUSTOM_FIELDS_SHOWN = 3

    value = AmountField(
        label=_("Value"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    organization_name = forms.CharField(
        label=_("Organization"),
        max_length=200,
        required=False,
        strip=True,
        help_text=_("An existing organization's name, or a new one."),
    )
    person_name = forms.CharField(
        label=_("Contact person"), max_length=200, required=False, strip=True
    )

    class Meta:
        model = Deal
        fields = ["title", "value", "expected_close_date", "owner"]
        labels = {
            "title": _("Title"),
            "expected_close_date": _("Expected close date"),
            "owner": _("Owner"),
        }
        # An HTML date input: always ISO (yyyy-mm-dd), not localized.
        widgets = {"expected_close_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, owner_choices, custom_fields: list | tuple = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices
        self.fields["owner"].empty_label = None
        # Existing names are suggested as the user types (the dialog holds the datalists).
        self.fields["organization_name"].widget.attrs.update(
            datalist_attrs("organization-options", "new-deal-organization-options")
        )
        self.fields["person_name"].widget.attrs.update(
            datalist_attrs("person-options", "new-deal-person-options")
        )
        self.add_custom_fields(custom_fields, None)

    @property
    def folds_custom_fields(self) -> bool:
        return len(getattr(self, "custom_field_defs", [])) > self.CUSTOM_FIELDS_SHOWN

    @property
    def custom_errors(self) -> bool:
        """Whether a custom input has an error (the fold then opens on it)."""
        return any(input.field.errors for input in self.custom_inputs())
