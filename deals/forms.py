from django import forms

from deals.forms_deal import datalist_attrs
from deals.models import Deal, LostReason
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


class CompletionForm(forms.Form):
    """What the refused-move dialog lets a user complete
    before confirming (docs/domain/moves.md)."""

    check = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    value = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    expected_close_date = forms.DateField(required=False)
    organization_name = forms.CharField(max_length=200, required=False, strip=True)
    person_name = forms.CharField(max_length=200, required=False, strip=True)
    activity_kind = forms.ChoiceField(choices=[("", "—"), *ActivityKind.choices], required=False)
    activity_subject = forms.CharField(max_length=200, required=False, strip=True)

    def __init__(self, *args, manual_item_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["check"].choices = [(pk, pk) for pk in manual_item_ids]

    def clean(self):
        data = super().clean()
        if data.get("activity_kind") and not data.get("activity_subject"):
            self.add_error("activity_subject", "Say in a few words what happened.")
        return data


class LostForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    reason = forms.ModelChoiceField(
        queryset=LostReason.objects.filter(is_active=True),
        empty_label="Choose a reason…",
        error_messages={"required": "Choose why the deal was lost."},
    )
    note = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    override_reason = forms.CharField(max_length=1000, required=False, strip=True)
    source = forms.ChoiceField(choices=[("drag", "drag"), ("dialog", "dialog")], required=False)


class DealCreateForm(forms.ModelForm):
    organization_name = forms.CharField(
        label="Organization",
        max_length=200,
        required=False,
        strip=True,
        help_text="An existing organization's name, or a new one.",
    )
    person_name = forms.CharField(
        label="Contact person", max_length=200, required=False, strip=True
    )

    class Meta:
        model = Deal
        fields = ["title", "value", "expected_close_date", "owner"]
        widgets = {"expected_close_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, owner_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices
        self.fields["owner"].empty_label = None
        self.fields["value"].widget.attrs.update({"min": "0", "step": "0.01"})
        # Existing names are suggested as the user types (the dialog holds the datalists).
        self.fields["organization_name"].widget.attrs.update(
            datalist_attrs("organization-options", "new-deal-organization-options")
        )
        self.fields["person_name"].widget.attrs.update(
            datalist_attrs("person-options", "new-deal-person-options")
        )
