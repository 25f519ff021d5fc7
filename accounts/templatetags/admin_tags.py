"""Template helpers of the admin pages."""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

register = template.Library()

# An audit entry's action is stored in English (``AuditEntry.action``); each one reads as
# a whole sentence in the viewer's language (docs/i18n.md: one msgid per sentence).
AUDIT_SENTENCES = {
    "created": gettext_lazy("%(actor)s created %(object)s"),
    "created as a copy": gettext_lazy("%(actor)s created %(object)s as a copy"),
    "edited": gettext_lazy("%(actor)s edited %(object)s"),
    "renamed": gettext_lazy("%(actor)s renamed %(object)s"),
    "moved": gettext_lazy("%(actor)s moved %(object)s"),
    "deleted": gettext_lazy("%(actor)s deleted %(object)s"),
    "archived": gettext_lazy("%(actor)s archived %(object)s"),
    "restored": gettext_lazy("%(actor)s restored %(object)s"),
    "invited": gettext_lazy("%(actor)s invited %(object)s"),
    "role changed": gettext_lazy("%(actor)s changed the role of %(object)s"),
    "deactivated": gettext_lazy("%(actor)s deactivated %(object)s"),
    "reactivated": gettext_lazy("%(actor)s reactivated %(object)s"),
    "work handed over": gettext_lazy("%(actor)s handed over the open work of %(object)s"),
    "stages reordered": gettext_lazy("%(actor)s reordered the stages of %(object)s"),
    "stage deleted": gettext_lazy("%(actor)s deleted a stage of %(object)s"),
    "checklist item deleted": gettext_lazy("%(actor)s deleted checklist item %(object)s"),
    "quotas set": gettext_lazy("%(actor)s set the quotas of %(object)s"),
    "secret rotated": gettext_lazy("%(actor)s rotated the secret of %(object)s"),
    "resumed": gettext_lazy("%(actor)s resumed %(object)s"),
}

# The names of the fields audit entries record, as the viewer reads them.
AUDIT_FIELDS = {
    "name": gettext_lazy("name"),
    "role": gettext_lazy("role"),
    "email": gettext_lazy("email"),
    "access": gettext_lazy("access"),
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "is_active": gettext_lazy("active"),
    "is_archived": gettext_lazy("archived"),
    "api_tokens_revoked": gettext_lazy("API tokens revoked"),
    "managers": gettext_lazy("managers"),
    "members": gettext_lazy("members"),
    "position": gettext_lazy("position"),
    "order": gettext_lazy("order"),
    "stage": gettext_lazy("stage"),
    "stages": gettext_lazy("stages"),
    "item": gettext_lazy("item"),
    "items": gettext_lazy("items"),
    "kind": pgettext_lazy("checklist kind", "kind"),
    "text": gettext_lazy("text"),
    "description": gettext_lazy("description"),
    "visibility": gettext_lazy("visibility"),
    "forward_jumps": gettext_lazy("forward jumps"),
    "copied_from": gettext_lazy("copied from"),
    "probability": gettext_lazy("probability"),
    "stall_threshold_days": gettext_lazy("stalled after (days)"),
    "guidance": gettext_lazy("guidance"),
    "help_text": gettext_lazy("help text"),
    "show_on_card": gettext_lazy("on the board card"),
    "type": gettext_lazy("type"),
    "key": gettext_lazy("key"),
    "pipeline": gettext_lazy("pipeline"),
    "label": gettext_lazy("label"),
    "options": gettext_lazy("options"),
    "custom_field": gettext_lazy("custom field"),
    "custom_fields": gettext_lazy("custom fields"),
    "condition": gettext_lazy("condition"),
    "condition_value": gettext_lazy("condition value"),
    "is_required": gettext_lazy("required"),
    "open_deals": gettext_lazy("open deals"),
    "deals_to": gettext_lazy("deals to"),
    "open_activities": gettext_lazy("open activities"),
    "activities_to": gettext_lazy("activities to"),
    "url": gettext_lazy("target URL"),
    "events": gettext_lazy("events"),
    "secret": gettext_lazy("secret"),
    "pause_reason": gettext_lazy("pause reason"),
}


@register.filter
def audit_sentence(entry) -> SafeString:
    """``<strong>Anna</strong> created <span>Team North</span>``, in the active language."""
    actor = format_html(
        "<strong>{}</strong>", entry.actor.display_name if entry.actor else _("Someone")
    )
    target = format_html('<span class="muted">{}</span>', entry.object_repr)
    sentence = AUDIT_SENTENCES.get(entry.action)
    if sentence is None:
        # An action without a sentence yet: its stored words, as before.
        return format_html("{} {} {}", actor, entry.action, target)
    template = conditional_escape(str(sentence)) % {"actor": "{actor}", "object": "{object}"}
    return format_html(template, actor=actor, object=target)


@register.filter
def audit_lines(changes: dict) -> list[str]:
    """An audit entry's changes as short sentences: ``field: old → new`` or ``field: fact``."""
    lines = []
    for field, change in (changes or {}).items():
        label = AUDIT_FIELDS.get(field) or field.replace("_", " ")
        if isinstance(change, list) and len(change) == 2:
            old, new = (_show(value) for value in change)
            lines.append(f"{label}: {old} → {new}")
        else:
            lines.append(f"{label}: {_show(change)}")
    return lines


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "—"
    return str(value)
