"""The deals list's bulk actions: reassign (managers and admins) or mark lost."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from deals.models import LostReason

MAX_BULK = 500


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("reassign", _("Reassign to…")), ("lost", _("Mark as lost"))]
    )
    deal = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": _("Select at least one deal.")}
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, label=_("New owner"))
    reason = forms.ModelChoiceField(
        queryset=LostReason.objects.filter(is_active=True), required=False, label=_("Lost reason")
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)
    query = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, owner_choices, **kwargs):
        super().__init__(*args, **kwargs)
        if owner_choices is None:
            # Reps cannot reassign (docs/domain/roles-and-visibility.md): the choice is not offered.
            self.fields["action"].choices = [("lost", _("Mark as lost"))]
            owner_choices = User.objects.none()
        self.fields["owner"].queryset = owner_choices
        self.fields["owner"].label_from_instance = lambda user: user.display_name
        # Which of these ids the user may see is decided by the view; here only their shape.
        ids = self.data.getlist("deal") if hasattr(self.data, "getlist") else []
        self.fields["deal"].choices = [(v, v) for v in ids if v.isascii() and v.isdigit()]

    def clean(self):
        data = super().clean()
        if len(data.get("deal") or []) > MAX_BULK:
            self.add_error(
                "deal",
                ngettext(
                    "Choose at most %(count)s deal at once.",
                    "Choose at most %(count)s deals at once.",
                    MAX_BULK,
                )
                % {"count": MAX_BULK},
            )
        if data.get("action") == "reassign" and not data.get("owner"):
            self.add_error("owner", _("Choose who gets the deals."))
        if data.get("action") == "lost" and not data.get("reason"):
            self.add_error("reason", _("Choose why the deals were lost."))
        data["versions"] = self._versions(data.get("deal") or [])
        return data

    def _versions(self, deal_ids: list[int]) -> dict[int, int]:
        """The version the list showed of each selected deal (``version-<id>``); a deal
        without one is refused by the service, not the whole form."""
        versions = {}
        for pk in deal_ids:
            raw = self.data.get(f"version-{pk}", "")
            if raw.isascii() and raw.isdigit() and len(raw) < 10:
                versions[pk] = int(raw)
        return versions
