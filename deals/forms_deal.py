"""Forms of the deal page: its details, activities, the stage path and checklist ticks."""

from django import forms
from django.urls import reverse

from deals.models import FUTURE_DONE_AT, Deal, done_at_is_future
from pipelines.models import ActivityKind

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def datalist_attrs(url_name: str, list_id: str) -> dict[str, str]:
    """A text input that suggests existing names: htmx fills ``<datalist id=list_id>``
    from the search endpoint as the user types; any new name is accepted."""
    return {
        "list": list_id,
        "autocomplete": "off",
        "hx-get": reverse(url_name),
        "hx-trigger": "input changed delay:250ms",
        "hx-target": f"#{list_id}",
        "hx-swap": "innerHTML",
        "hx-sync": "this:replace",
    }


class DealEditForm(forms.Form):
    """Every editable field at once; only the fields that changed are written (one timeline
    event each). Organization and person are names: an existing one is picked
    case-insensitively, a new one is created."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    title = forms.CharField(max_length=200)
    value = forms.DecimalField(
        label="Value", max_digits=14, decimal_places=2, min_value=0, required=False
    )
    expected_close_date = forms.DateField(
        label="Expected close date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    organization_name = forms.CharField(
        label="Organization", max_length=200, required=False, strip=True
    )
    person_name = forms.CharField(label="Contact person", max_length=200, required=False)
    probability_override = forms.IntegerField(
        label="Probability override (%)",
        min_value=0,
        max_value=100,
        required=False,
        help_text="Empty: the stage's probability.",
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label=None)

    def __init__(self, *args, deal: Deal, owner_choices=None, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "version": deal.version,
                "title": deal.title,
                "value": deal.value,
                "expected_close_date": deal.expected_close_date,
                "organization_name": deal.organization.name if deal.organization else "",
                "person_name": deal.person.name if deal.person else "",
                "probability_override": deal.probability_override,
                "owner": deal.owner_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["value"].widget.attrs.update({"min": "0", "step": "0.01"})
        self.fields["organization_name"].widget.attrs.update(
            datalist_attrs("organization-options", f"organization-options-{deal.pk}")
        )
        self.fields["person_name"].widget.attrs.update(
            datalist_attrs("person-options", f"person-options-{deal.pk}")
        )
        if owner_choices is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owner_choices
            self.fields["owner"].label_from_instance = lambda user: user.display_name
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"deal-{deal.pk}-{name}")


class ActivityForm(forms.Form):
    """Log a done activity now, or schedule one for later (the button decides)."""

    kind = forms.ChoiceField(choices=ActivityKind.choices)
    subject = forms.CharField(max_length=200)
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="Company time zone.",
    )
    done_at = forms.DateTimeField(
        label="Done at",
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="When it happened, if earlier than now. Company time zone.",
    )
    notes = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    action = forms.ChoiceField(
        choices=[("log", "Log as done"), ("schedule", "Schedule")], initial="log"
    )

    def __init__(self, *args, prefix_id: str = "activity", **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"{prefix_id}-{name}")

    def clean(self):
        data = super().clean()
        if data.get("action") == "schedule" and not data.get("due_at"):
            self.add_error("due_at", "Say when it is due to schedule it.")
        done_at = data.get("done_at")
        if done_at is not None and data.get("action") == "schedule":
            self.add_error("done_at", "A scheduled activity is not done yet: leave this empty.")
        elif done_at is not None and done_at_is_future(done_at):
            self.add_error("done_at", FUTURE_DONE_AT)
        return data


class ChecklistTickForm(forms.Form):
    item = forms.IntegerField(min_value=1)
    checked = forms.TypedChoiceField(choices=[("1", "tick"), ("0", "untick")], coerce=int)
    version = forms.IntegerField(min_value=1)
