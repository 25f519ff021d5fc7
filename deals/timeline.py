"""A deal's timeline: deal events, stage changes and activities merged, newest first.

Deal events are the backbone (every service writes one); stage changes add what only they
hold (time spent in the previous stage, overridden items) and activities add their notes
and due times. A stage change or an activity without an event of its own (history written
by ``seed_demo`` or before events existed) still gets an entry. Five queries, whatever the
length of the history.

A custom field's change reads in the reader's language: its values are shown again from
what was stored, with the field's current name and options; the text written in the
actor's language is the fallback (docs/domain/custom-fields.md, "Where values show").
"""

import datetime
from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from deals.models import Activity, Deal, DealEvent, StageChange
from pipelines import custom_fields as types
from pipelines.models import ActivityKind, CustomField
from pipelines.selectors import custom_fields_for

# "changed the value from … to …": one sentence per field (docs/i18n.md).
CHANGED = {
    "title": gettext_lazy("%(actor)s changed the title from %(old)s to %(new)s."),
    "value": gettext_lazy("%(actor)s changed the value from %(old)s to %(new)s."),
    "expected_close_date": gettext_lazy(
        "%(actor)s changed the expected close date from %(old)s to %(new)s."
    ),
    "organization": gettext_lazy("%(actor)s changed the organization from %(old)s to %(new)s."),
    "person": gettext_lazy("%(actor)s changed the contact person from %(old)s to %(new)s."),
    "probability_override": gettext_lazy(
        "%(actor)s changed the probability override from %(old)s to %(new)s."
    ),
}
CHANGED_OTHER = gettext_lazy("%(actor)s changed %(field)s from %(old)s to %(new)s.")
# An activity logged or scheduled: one sentence per kind, the articles differ.
LOGGED = {
    ActivityKind.CALL: gettext_lazy("%(actor)s logged a call: “%(subject)s”."),
    ActivityKind.MEETING: gettext_lazy("%(actor)s logged a meeting: “%(subject)s”."),
    ActivityKind.EMAIL: gettext_lazy("%(actor)s logged an email: “%(subject)s”."),
    ActivityKind.TASK: gettext_lazy("%(actor)s logged a task: “%(subject)s”."),
    ActivityKind.NOTE: gettext_lazy("%(actor)s logged a note: “%(subject)s”."),
}
LOGGED_OTHER = gettext_lazy("%(actor)s logged an activity: “%(subject)s”.")
SCHEDULED = {
    ActivityKind.CALL: gettext_lazy("%(actor)s scheduled a call: “%(subject)s”."),
    ActivityKind.MEETING: gettext_lazy("%(actor)s scheduled a meeting: “%(subject)s”."),
    ActivityKind.EMAIL: gettext_lazy("%(actor)s scheduled an email: “%(subject)s”."),
    ActivityKind.TASK: gettext_lazy("%(actor)s scheduled a task: “%(subject)s”."),
    ActivityKind.NOTE: gettext_lazy("%(actor)s scheduled a note: “%(subject)s”."),
}
SCHEDULED_OTHER = gettext_lazy("%(actor)s scheduled an activity: “%(subject)s”.")
SCHEDULED_FOR = {
    ActivityKind.CALL: gettext_lazy("%(actor)s scheduled a call for %(due)s: “%(subject)s”."),
    ActivityKind.MEETING: gettext_lazy("%(actor)s scheduled a meeting for %(due)s: “%(subject)s”."),
    ActivityKind.EMAIL: gettext_lazy("%(actor)s scheduled an email for %(due)s: “%(subject)s”."),
    ActivityKind.TASK: gettext_lazy("%(actor)s scheduled a task for %(due)s: “%(subject)s”."),
    ActivityKind.NOTE: gettext_lazy("%(actor)s scheduled a note for %(due)s: “%(subject)s”."),
}
SCHEDULED_FOR_OTHER = gettext_lazy("%(actor)s scheduled an activity for %(due)s: “%(subject)s”.")
# Events that a stage change accompanies (written in the same transaction, same instant).
STAGE_CHANGE_KINDS = {
    DealEvent.Kind.CREATED,
    DealEvent.Kind.IMPORTED,
    DealEvent.Kind.MOVED,
    DealEvent.Kind.REOPENED,
}


@dataclass
class Entry:
    at: datetime.datetime
    kind: str
    actor: str
    sentence: str
    details: list[str] = field(default_factory=list)
    order: int = 0


def _actor(user) -> str:
    return user.display_name if user is not None else "PipelineCRM"


def _event_actor(event: DealEvent) -> str:
    """Who did it: a stage automation's work names the automation (deals/services/events.py),
    otherwise the user, or PipelineCRM itself."""
    automation = (event.data or {}).get("automation")
    if automation:
        # Translators: the actor of a timeline sentence, e.g. "Automation “Contract sent:
        # call” scheduled a call…"; %(name)s is the automation's name.
        return _("Automation “%(name)s”") % {"name": automation.get("name", "")}
    return _actor(event.user)


def _day(value: datetime.datetime | datetime.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
        return formats.date_format(value, "j M Y, H:i")
    return formats.date_format(value, "j M Y")


def _duration(delta: datetime.timedelta | None) -> str:
    if delta is None:
        return ""
    days = delta.days
    if days >= 1:
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    hours = delta.seconds // 3600
    if hours >= 1:
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return _("less than an hour")


def _shown(value) -> str:
    return _("“%(value)s”") % {"value": value} if value not in ("", None) else _("empty")


def _activity_sentence(actor: str, kind: str, subject: str, *, done: bool, due: str = "") -> str:
    """ "… logged a call: “…”." or "… scheduled a call for 7 Dec 2026, 10:00: “…”."."""
    if done:
        text = LOGGED.get(kind, LOGGED_OTHER)
    elif due:
        text = SCHEDULED_FOR.get(kind, SCHEDULED_FOR_OTHER)
    else:
        text = SCHEDULED.get(kind, SCHEDULED_OTHER)
    return str(text) % {"actor": actor, "subject": subject, "due": due}


def _overridden(reason: str) -> str:
    return _("Checklist overridden: %(reason)s") % {"reason": reason}


def _skipped(items: list[str]) -> str:
    return _("Skipped: %(items)s") % {"items": ", ".join(items)}


# A long text in a sentence is cut (the deal page shows it whole under Details).
CUSTOM_VALUE_CHARS = 120


def _custom_change(data: dict, fields: dict[str, CustomField]) -> tuple[str, str, str]:
    """A custom field's name, old and new value as the reader reads them."""
    field = fields.get(data["custom_field"])
    if field is None:
        return data.get("field") or "", data.get("old", ""), data.get("new", "")
    return field.name, _custom_value(field, data, "old"), _custom_value(field, data, "new")


def _custom_value(field: CustomField, data: dict, side: str) -> str:
    written = data.get(side) or ""
    stored_key = f"{side}_value"
    # A user's name reads the same in every language: the text written then is kept.
    if stored_key not in data or field.type == CustomField.Type.USER:
        return written
    stored = data[stored_key]
    text = types.display(field, stored) if types.is_filled(stored) else ""
    if types.is_filled(stored) and not text:
        text = written
    if field.type == CustomField.Type.LONG_TEXT:
        text = Truncator(text).chars(CUSTOM_VALUE_CHARS)
    return text


def _sentence(
    event: DealEvent,
    change: StageChange | None,
    activity: Activity | None,
    fields: dict[str, CustomField],
) -> Entry:
    data, kind = event.data or {}, event.kind
    actor = _event_actor(event)
    details: list[str] = []
    stage = data.get("stage", "")
    words = {"actor": actor, "stage": stage}
    if kind == DealEvent.Kind.CREATED:
        sentence = _("%(actor)s created the deal in %(stage)s.") % words
    elif kind == DealEvent.Kind.IMPORTED:
        sentence = _("%(actor)s imported the deal from a CSV file into %(stage)s.") % words
    elif kind == DealEvent.Kind.EDITED:
        name, old, new = data.get("field"), data.get("old"), data.get("new")
        if data.get("custom_field"):
            name, old, new = _custom_change(data, fields)
        values = {**words, "old": _shown(old), "new": _shown(new)}
        if name in CHANGED and not data.get("custom_field"):
            sentence = str(CHANGED[name]) % values
        else:
            sentence = str(CHANGED_OTHER) % {**values, "field": name or _("a field")}
    elif kind == DealEvent.Kind.MOVED:
        moved = {**words, "from": data.get("from"), "to": data.get("to")}
        if data.get("pipeline"):
            sentence = _(
                "%(actor)s moved the deal from %(from)s to %(to)s (pipeline %(pipeline)s)."
            ) % {**moved, "pipeline": data["pipeline"]}
        else:
            sentence = _("%(actor)s moved the deal from %(from)s to %(to)s.") % moved
        if change is not None and change.time_in_from_stage is not None:
            details.append(
                _("After %(duration)s in %(stage)s.")
                % {"duration": _duration(change.time_in_from_stage), "stage": data.get("from")}
            )
    elif kind in (DealEvent.Kind.CHECKLIST_TICKED, DealEvent.Kind.CHECKLIST_UNTICKED):
        ticked = {**words, "item": data.get("item")}
        if kind == DealEvent.Kind.CHECKLIST_TICKED:
            sentence = _("%(actor)s ticked “%(item)s” (%(stage)s checklist).") % ticked
        else:
            sentence = _("%(actor)s unticked “%(item)s” (%(stage)s checklist).") % ticked
    elif kind == DealEvent.Kind.WON:
        sentence = _("%(actor)s marked the deal as won in %(stage)s.") % words
    elif kind == DealEvent.Kind.LOST:
        reason = data.get("reason") or _("no reason given")
        sentence = _("%(actor)s marked the deal as lost: %(reason)s.") % {
            **words,
            "reason": reason,
        }
        if data.get("note"):
            details.append(_("Note: %(note)s") % {"note": data["note"]})
    elif kind == DealEvent.Kind.REOPENED:
        if data.get("was") == "won":
            sentence = _("%(actor)s reopened the deal (it was won) in %(stage)s.") % words
        elif data.get("was") == "lost":
            sentence = _("%(actor)s reopened the deal (it was lost) in %(stage)s.") % words
        else:
            sentence = _("%(actor)s reopened the deal (it was closed) in %(stage)s.") % words
    elif kind == DealEvent.Kind.REASSIGNED:
        sentence = _("%(actor)s reassigned the deal from %(old)s to %(new)s.") % {
            **words,
            "old": data.get("old"),
            "new": data.get("new"),
        }
    elif kind == DealEvent.Kind.ACTIVITY_LOGGED:
        what = activity.kind if activity else data.get("kind", "")
        subject = activity.subject if activity else data.get("subject", "")
        due = _day(activity.due_at) if activity and activity.due_at else ""
        sentence = _activity_sentence(actor, what, subject, done=bool(data.get("done")), due=due)
        if activity is not None and activity.notes:
            details.append(activity.notes)
        if activity is None:
            details.append(_("The activity has since been deleted."))
    elif kind == DealEvent.Kind.STALLED:
        since = data.get("stalled_since")
        when = _day(datetime.datetime.fromisoformat(since)) if since else ""
        if when:
            sentence = _("The deal was flagged as stalled: no progress since %(when)s.") % {
                "when": when
            }
        else:
            sentence = _("The deal was flagged as stalled.")
    else:
        sentence = _("%(actor)s: %(event)s.") % {**words, "event": event.get_kind_display()}
    if data.get("override_reason"):
        details.append(_overridden(data["override_reason"]))
        if data.get("overridden_items"):
            details.append(_skipped(data["overridden_items"]))
    elif change is not None and change.override_reason:
        details.append(_overridden(change.override_reason))
    if change is not None and kind == DealEvent.Kind.MOVED:
        skipped = [item.text for item in change.overridden_items.all()]
        if skipped and not data.get("overridden_items"):
            details.append(_skipped(skipped))
    return Entry(at=event.created_at, kind=kind, actor=actor, sentence=sentence, details=details)


def _named_fields(events: list[DealEvent], known: list[CustomField]) -> dict[str, CustomField]:
    """The custom fields the events name, by key: ``known`` ones, the others in one query."""
    fields = {field.key: field for field in known}
    named = {
        (event.data or {}).get("custom_field")
        for event in events
        if event.kind == DealEvent.Kind.EDITED
    }
    if any(key and key not in fields for key in named):
        every = custom_fields_for(None, include_archived=True)
        fields |= {field.key: field for field in every if field.key not in fields}
    return fields


def _bare_stage_change(change: StageChange) -> Entry:
    actor = _actor(change.user)
    if change.from_stage is None:
        sentence = _("%(actor)s put the deal in %(stage)s.") % {
            "actor": actor,
            "stage": change.to_stage.name,
        }
    else:
        sentence = _("%(actor)s moved the deal from %(from)s to %(to)s.") % {
            "actor": actor,
            "from": change.from_stage.name,
            "to": change.to_stage.name,
        }
    details = [_overridden(change.override_reason)] if change.override_reason else []
    return Entry(
        at=change.changed_at, kind="moved", actor=actor, sentence=sentence, details=details
    )


def _bare_activity(activity: Activity) -> Entry:
    actor = _actor(activity.owner)
    if activity.done_at is not None:
        at = activity.done_at
        sentence = _activity_sentence(actor, activity.kind, activity.subject, done=True)
    else:
        at = activity.created_at
        due = _day(activity.due_at) if activity.due_at else ""
        sentence = _activity_sentence(actor, activity.kind, activity.subject, done=False, due=due)
    details = [activity.notes] if activity.notes else []
    return Entry(at=at, kind="activity_logged", actor=actor, sentence=sentence, details=details)


def deal_timeline(
    *, deal: Deal, activities: list[Activity], custom_fields: list[CustomField] | None = None
) -> list[Entry]:
    """Everything that happened to ``deal``, newest first, given its ``activities`` (with
    their owners, as the deal page loads them) and ``custom_fields`` (the page's
    definitions, archived ones too, from ``deal_fields``). Three queries, and one when its
    events name a field that ``custom_fields`` lacks (another pipeline's)."""
    events = list(DealEvent.objects.filter(deal=deal).select_related("user"))
    fields = _named_fields(events, custom_fields or [])
    changes = list(
        StageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "user")
        .prefetch_related("overridden_items")
    )
    activities = {activity.pk: activity for activity in activities}
    changes_at = {change.changed_at: change for change in changes}
    entries: list[Entry] = []
    covered_changes: set[int] = set()
    covered_activities: set[int] = set()
    for index, event in enumerate(events):
        change = changes_at.get(event.created_at) if event.kind in STAGE_CHANGE_KINDS else None
        if change is not None:
            covered_changes.add(change.pk)
        activity = None
        if event.kind == DealEvent.Kind.ACTIVITY_LOGGED:
            activity = activities.get((event.data or {}).get("activity"))
            if activity is not None:
                covered_activities.add(activity.pk)
        entry = _sentence(event, change, activity, fields)
        entry.order = -index
        entries.append(entry)
    entries += [_bare_stage_change(c) for c in changes if c.pk not in covered_changes]
    entries += [_bare_activity(a) for a in activities.values() if a.pk not in covered_activities]
    entries.sort(key=lambda entry: (entry.at, entry.order), reverse=True)
    return entries
