"""The automation designer's form (docs/domain/webhooks.md, "Designer").

Every field is optional here: what an action needs is the service's rule
(``automation_services.automation_clean``), shown next to the fields it names.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminForm
from integrations.automation_services import MAX_DUE_DAYS
from integrations.models import StageAutomation, WebhookSubscription
from pipelines.models import ActivityKind


class AutomationForm(AdminForm):
    action = forms.ChoiceField(label=_("When a deal enters this stage"), choices=[])
    activity_kind = forms.ChoiceField(label=_("Activity kind"), required=False, choices=[])
    activity_subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    due_in_business_days = forms.IntegerField(
        label=_("Due in business days"),
        required=False,
        min_value=0,
        max_value=MAX_DUE_DAYS,
        initial=1,
        help_text=_("Monday to Friday, at 09:00; 0 is the same day."),
    )
    probability = forms.IntegerField(
        label=_("Probability (%)"), required=False, min_value=0, max_value=100
    )
    subscription = forms.ModelChoiceField(
        label=_("Webhook"),
        required=False,
        queryset=WebhookSubscription.objects.none(),
        help_text=_("It receives the deal's event even if it does not ask for that type."),
    )

    # Which fields belong to which action: the template groups them, static/js/
    # automations.js shows the group of the chosen action only.
    GROUPS = {
        StageAutomation.Action.CREATE_ACTIVITY: (
            "activity_kind",
            "activity_subject",
            "due_in_business_days",
        ),
        StageAutomation.Action.SET_PROBABILITY: ("probability",),
        StageAutomation.Action.SEND_WEBHOOK: ("subscription",),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = StageAutomation.Action.choices
        self.fields["activity_kind"].choices = [("", "—"), *ActivityKind.choices]
        self.fields["subscription"].queryset = WebhookSubscription.objects.order_by("name", "id")

    @classmethod
    def for_automation(cls, automation: StageAutomation) -> "AutomationForm":
        return cls(
            initial={
                "action": automation.action,
                "activity_kind": automation.activity_kind,
                "activity_subject": automation.activity_subject,
                "due_in_business_days": automation.due_in_business_days,
                "probability": automation.probability,
                "subscription": automation.subscription_id,
            }
        )

    def groups(self) -> list[dict]:
        """The fields of each action, for the template: ``[{"action", "label", "fields"}]``."""
        labels = dict(StageAutomation.Action.choices)
        return [
            {"action": action, "label": labels[action], "fields": [self[name] for name in names]}
            for action, names in self.GROUPS.items()
        ]
