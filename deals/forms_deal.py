"""Forms of the deal page: its details, activities, the stage path and checklist ticks."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from deals.forms_custom import CustomFieldsMixin
from deals.models import FUTURE_DONE_AT, Deal, done_at_is_future
from deals.selectors.activities import QUICK_DUE_LABELS, quick_due_at, quick_due_choices
from pipelinecrm.form_fields import AmountField
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


class DealEditForm(CustomFieldsMixin, forms.Form):
    """Every editable field at once, the custom fields of the deal's pipeline included;
    only the fields that changed are written (one timeline event each). Organization and
    person are names: an existing one is picked case-insensitively, a new one is created.
    Input ids are ``deal-<id>-<name>`` (``deal-7-cf_budget``): a deal dialog over the board
    and the checklist dialog over it never share an id."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    value = AmountField(
        label=_("Value"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    # An HTML date input: always ISO (yyyy-mm-dd), the browser shows it the user's way.
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    organization_name = forms.CharField(
        label=_("Organization"), max_length=200, required=False, strip=True
    )
    person_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    probability_override = forms.IntegerField(
        label=_("Probability override (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Empty: the stage's probability."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=None
    )

    def __init__(
        self, *args, deal: Deal, owner_choices=None, custom_fields: list | tuple = (), **kwargs
    ):
        kwargs.setdefault("auto_id", f"deal-{deal.pk}-%s")
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
        self.add_custom_fields(custom_fields, deal.custom_fields)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"deal-{deal.pk}-{name}")


class ActivityForm(forms.Form):
    """Log a done activity now, or schedule one for later (the button decides).

    The deal page and the "What's next?" prompt (docs/domain/deals.md, "Activities on the
    phone") send ``default_subject``: an empty subject then becomes the kind's name. A
    ``when`` button (tomorrow, in three days, next week) schedules for that quick due date.
    """

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    default_subject = forms.BooleanField(required=False, widget=forms.HiddenInput)
    when = forms.ChoiceField(required=False, choices=[("", ""), *QUICK_DUE_LABELS.items()])
    # HTML datetime-local inputs: always ISO, not localized.
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Company time zone."),
    )
    done_at = forms.DateTimeField(
        label=_("Done at"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("When it happened, if earlier than now. Company time zone."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    action = forms.ChoiceField(
        choices=[("log", _("Log as done")), ("schedule", _("Schedule"))], initial="log"
    )

    def __init__(self, *args, prefix_id: str = "activity", **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"{prefix_id}-{name}")
        # An empty subject becomes the kind's name (deal.js follows the chosen kind).
        self.fields["subject"].widget.attrs.setdefault("placeholder", ActivityKind.CALL.label)

    @property
    def quick_due(self):
        """The quick due dates for the buttons beside the due field."""
        return quick_due_choices()

    def clean(self):
        data = super().clean()
        if not data.get("subject") and "subject" not in self.errors:
            if data.get("default_subject") and data.get("kind"):
                data["subject"] = str(ActivityKind(data["kind"]).label)
            else:
                self.add_error("subject", forms.Field.default_error_messages["required"])
        if data.get("when"):
            data["due_at"] = quick_due_at(data["when"])
            data["action"] = "schedule"
        if data.get("action") == "schedule" and not data.get("due_at"):
            self.add_error("due_at", _("Say when it is due to schedule it."))
        done_at = data.get("done_at")
        if done_at is not None and data.get("action") == "schedule":
            self.add_error("done_at", _("A scheduled activity is not done yet: leave this empty."))
        elif done_at is not None and done_at_is_future(done_at):
            self.add_error("done_at", _(FUTURE_DONE_AT))
        return data


class ChecklistTickForm(forms.Form):
    item = forms.IntegerField(min_value=1)
    checked = forms.TypedChoiceField(choices=[("1", "tick"), ("0", "untick")], coerce=int)
    version = forms.IntegerField(min_value=1)
