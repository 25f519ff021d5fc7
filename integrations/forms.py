"""Forms of the webhook admin pages (docs/domain/webhooks.md). They parse what the admin
typed; integrations/services.py decides what is allowed (https, the address rule)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminForm
from integrations.models import EventType, WebhookDelivery, WebhookSubscription
from integrations.selectors import EVENT_GROUPS
from pipelines.models import Pipeline

GROUP_LABELS = {
    "deal": _("Deals"),
    "activity": _("Activities"),
    "checklist": _("Checklists"),
}


class SubscriptionForm(AdminForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        error_messages={"required": _("A webhook needs a name.")},
        help_text=_("For you: what the receiving system is, e.g. “Billing”."),
    )
    url = forms.CharField(
        label=_("Target URL"),
        max_length=500,
        error_messages={"required": _("Give the URL that receives the events.")},
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
        help_text=_("Events are POSTed here as JSON, signed with the secret."),
    )
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=Pipeline.objects.order_by("-is_active", "name", "pk"),
        required=False,
        empty_label=_("All pipelines"),
        help_text=_("Only the events of this pipeline's deals."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    # "All" of a group: works without JavaScript (static/js/webhooks.js ticks the boxes).
    all_deal = forms.BooleanField(required=False)
    all_activity = forms.BooleanField(required=False)
    all_checklist = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        events = set(data.get("events") or ())
        for key, values in EVENT_GROUPS.items():
            if data.pop(f"all_{key}", False):
                events |= set(values)
        data["events"] = [value for value in EventType.values if value in events]
        return data

    @classmethod
    def for_subscription(cls, subscription: WebhookSubscription) -> "SubscriptionForm":
        return cls(
            initial={
                "name": subscription.name,
                "url": subscription.url,
                "pipeline": subscription.pipeline,
                "events": list(subscription.events),
            }
        )

    def event_groups(self) -> list[dict]:
        """The checkboxes in groups (Deals, Activities, Checklists), each with an "all"."""
        boxes = {box.data["value"]: box for box in self["events"]}
        return [
            {
                "key": key,
                "label": GROUP_LABELS[key],
                "all": self[f"all_{key}"],
                "boxes": [boxes[v] for v in values],
            }
            for key, values in EVENT_GROUPS.items()
        ]


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Every status")), *WebhookDelivery.Status.choices],
        required=False,
    )
