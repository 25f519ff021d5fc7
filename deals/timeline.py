"""A deal's timeline: deal events, stage changes and activities merged, newest first.

Deal events are the backbone (every service writes one); stage changes add what only they
hold (time spent in the previous stage, overridden items) and activities add their notes
and due times. A stage change or an activity without an event of its own (history written
by ``seed_demo`` or before events existed) still gets an entry. Five queries, whatever the
length of the history.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import formats, timezone

from deals.models import Activity, Deal, DealEvent, StageChange

FIELD_LABELS = {
    "title": "the title",
    "value": "the value",
    "expected_close_date": "the expected close date",
    "organization": "the organization",
    "person": "the contact person",
    "probability_override": "the probability override",
}
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
        return f"{days} day{'s' if days != 1 else ''}"
    hours = delta.seconds // 3600
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "less than an hour"


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _shown(value) -> str:
    return f"“{value}”" if value not in ("", None) else "empty"


def _sentence(event: DealEvent, change: StageChange | None, activity: Activity | None) -> Entry:
    data, kind = event.data or {}, event.kind
    actor = _actor(event.user)
    details: list[str] = []
    stage = data.get("stage", "")
    if kind == DealEvent.Kind.CREATED:
        sentence = f"{actor} created the deal in {stage}."
    elif kind == DealEvent.Kind.IMPORTED:
        sentence = f"{actor} imported the deal from a CSV file into {stage}."
    elif kind == DealEvent.Kind.EDITED:
        label = FIELD_LABELS.get(data.get("field"), data.get("field", "a field"))
        sentence = (
            f"{actor} changed {label} from {_shown(data.get('old'))} to {_shown(data.get('new'))}."
        )
    elif kind == DealEvent.Kind.MOVED:
        where = f" (pipeline {data['pipeline']})" if data.get("pipeline") else ""
        sentence = f"{actor} moved the deal from {data.get('from')} to {data.get('to')}{where}."
        if change is not None and change.time_in_from_stage is not None:
            details.append(f"After {_duration(change.time_in_from_stage)} in {data.get('from')}.")
    elif kind in (DealEvent.Kind.CHECKLIST_TICKED, DealEvent.Kind.CHECKLIST_UNTICKED):
        verb = "ticked" if kind == DealEvent.Kind.CHECKLIST_TICKED else "unticked"
        sentence = f"{actor} {verb} “{data.get('item')}” ({stage} checklist)."
    elif kind == DealEvent.Kind.WON:
        sentence = f"{actor} marked the deal as won in {stage}."
    elif kind == DealEvent.Kind.LOST:
        sentence = f"{actor} marked the deal as lost: {data.get('reason', 'no reason given')}."
        if data.get("note"):
            details.append(f"Note: {data['note']}")
    elif kind == DealEvent.Kind.REOPENED:
        was = data.get("was", "closed")
        sentence = f"{actor} reopened the deal (it was {was}) in {stage}."
    elif kind == DealEvent.Kind.REASSIGNED:
        sentence = f"{actor} reassigned the deal from {data.get('old')} to {data.get('new')}."
    elif kind == DealEvent.Kind.ACTIVITY_LOGGED:
        what = (activity.get_kind_display() if activity else data.get("kind", "activity")).lower()
        subject = activity.subject if activity else data.get("subject", "")
        if data.get("done"):
            sentence = f"{actor} logged {_a(what)}: “{subject}”."
        else:
            due = f" for {_day(activity.due_at)}" if activity and activity.due_at else ""
            sentence = f"{actor} scheduled {_a(what)}{due}: “{subject}”."
        if activity is not None and activity.notes:
            details.append(activity.notes)
        if activity is None:
            details.append("The activity has since been deleted.")
    elif kind == DealEvent.Kind.STALLED:
        since = data.get("stalled_since")
        when = _day(datetime.datetime.fromisoformat(since)) if since else ""
        sentence = "The deal was flagged as stalled" + (
            f": no progress since {when}." if when else "."
        )
    else:
        sentence = f"{actor}: {event.get_kind_display()}."
    if data.get("override_reason"):
        details.append(f"Checklist overridden: {data['override_reason']}")
        if data.get("overridden_items"):
            details.append("Skipped: " + ", ".join(data["overridden_items"]))
    elif change is not None and change.override_reason:
        details.append(f"Checklist overridden: {change.override_reason}")
    if change is not None and kind == DealEvent.Kind.MOVED:
        skipped = [item.text for item in change.overridden_items.all()]
        if skipped and not data.get("overridden_items"):
            details.append("Skipped: " + ", ".join(skipped))
    return Entry(at=event.created_at, kind=kind, actor=actor, sentence=sentence, details=details)


def _bare_stage_change(change: StageChange) -> Entry:
    actor = _actor(change.user)
    if change.from_stage is None:
        sentence = f"{actor} put the deal in {change.to_stage.name}."
    else:
        sentence = (
            f"{actor} moved the deal from {change.from_stage.name} to {change.to_stage.name}."
        )
    details = [f"Checklist overridden: {change.override_reason}"] if change.override_reason else []
    return Entry(
        at=change.changed_at, kind="moved", actor=actor, sentence=sentence, details=details
    )


def _bare_activity(activity: Activity) -> Entry:
    actor = _actor(activity.owner)
    what = activity.get_kind_display().lower()
    if activity.done_at is not None:
        at, sentence = activity.done_at, f"{actor} logged {_a(what)}: “{activity.subject}”."
    else:
        at = activity.created_at
        due = f" for {_day(activity.due_at)}" if activity.due_at else ""
        sentence = f"{actor} scheduled {_a(what)}{due}: “{activity.subject}”."
    details = [activity.notes] if activity.notes else []
    return Entry(at=at, kind="activity_logged", actor=actor, sentence=sentence, details=details)


def deal_timeline(*, deal: Deal, activities: list[Activity]) -> list[Entry]:
    """Everything that happened to ``deal``, newest first, given its ``activities`` (with
    their owners, as the deal page loads them). Three queries."""
    events = list(DealEvent.objects.filter(deal=deal).select_related("user"))
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
        entry = _sentence(event, change, activity)
        entry.order = -index
        entries.append(entry)
    entries += [_bare_stage_change(c) for c in changes if c.pk not in covered_changes]
    entries += [_bare_activity(a) for a in activities.values() if a.pk not in covered_activities]
    entries.sort(key=lambda entry: (entry.at, entry.order), reverse=True)
    return entries
