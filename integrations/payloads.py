"""The JSON of a webhook event (docs/domain/webhooks.md).

``{"id", "type", "occurred_at", "actor", "deal", "data"}``: the deal exactly as
``GET /api/v1/deals/<id>/`` answers it (the API's own serializer), the actor, and what the
event adds. Built for a whole batch of events at once: the deals with their figures, the
stage changes and the activities are each read in one statement for the batch.
"""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from accounts.models import Role, User
from deals.api.serializers import ActivitySerializer, DealSerializer
from deals.models import Activity, Deal, DealEvent, StageChange
from deals.selectors.filters import deals_with_figures
from integrations.models import EventType
from pipelines.models import Stage

K = DealEvent.Kind

# The webhook types of each timeline event (an activity event is decided by its data).
TYPES_OF_KIND: dict[str, tuple[str, ...]] = {
    K.CREATED: (EventType.DEAL_CREATED,),
    K.IMPORTED: (EventType.DEAL_CREATED,),
    K.EDITED: (EventType.DEAL_UPDATED,),
    K.REASSIGNED: (EventType.DEAL_UPDATED,),
    K.MOVED: (EventType.DEAL_MOVED,),
    K.WON: (EventType.DEAL_WON,),
    K.LOST: (EventType.DEAL_LOST,),
    K.REOPENED: (EventType.DEAL_REOPENED,),
    K.STALLED: (EventType.DEAL_STALLED,),
    K.CHECKLIST_TICKED: (EventType.CHECKLIST_TICKED,),
    K.CHECKLIST_UNTICKED: (EventType.CHECKLIST_UNTICKED,),
}


def event_types(event: DealEvent) -> tuple[str, ...]:
    """The webhook types ``event`` is: none, one, or two (a logged done activity)."""
    if event.kind == K.ACTIVITY_LOGGED:
        if event.data.get("marked_done"):
            return (EventType.ACTIVITY_DONE,)
        if event.data.get("done"):
            return (EventType.ACTIVITY_CREATED, EventType.ACTIVITY_DONE)
        return (EventType.ACTIVITY_CREATED,)
    return TYPES_OF_KIND.get(event.kind, ())


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (decimals and dates as the API writes them)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def actor_json(event: DealEvent | None, user: User | None) -> dict | None:
    """Who did it: the user, ``{"automation": …}`` for an automation, None for the system."""
    automation = (event.data.get("automation") if event is not None else None) or None
    if automation is not None:
        return {"automation": automation}
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.display_name}


class _Reader:
    """A request-less serializer context: ``decorate_cards`` wants a user, and the deal's
    answer does not depend on who reads it except for what an admin may edit."""

    user = User(role=Role.ADMIN)


def deals_json(deal_ids: Iterable[int]) -> dict[int, dict]:
    """The deals as the API's deal detail answers them, by id (gone deals are missing)."""
    deals = list(deals_with_figures(Deal.objects.filter(pk__in=set(deal_ids))).order_by("pk"))
    if not deals:
        return {}
    with translation.override("en"):
        data = DealSerializer(deals, many=True, context={"request": _Reader()}).data
    return {row["id"]: jsonable(row) for row in data}


def _stage(stage_id: int | None, name: str | None, stages: dict[int, Stage]) -> dict | None:
    if stage_id is None and name is None:
        return None
    stage = stages.get(stage_id) if stage_id is not None else None
    return {"id": stage_id, "name": stage.name if stage else name}


class BatchContext:
    """What the events of a batch refer to, each read once."""

    def __init__(self, events: Sequence[DealEvent]):
        self.deals = deals_json({event.deal_id for event in events})
        entering = [e for e in events if e.kind in (K.CREATED, K.IMPORTED, K.MOVED, K.REOPENED)]
        self.changes: dict[tuple[int, Any], StageChange] = {}
        if entering:
            rows = StageChange.objects.filter(
                deal_id__in={e.deal_id for e in entering},
                changed_at__in={e.created_at for e in entering},
            )
            self.changes = {(row.deal_id, row.changed_at): row for row in rows}
        stage_ids = {
            pk for row in self.changes.values() for pk in (row.from_stage_id, row.to_stage_id)
        }
        stage_ids |= {e.data["stage_id"] for e in events if e.data.get("stage_id")}
        self.stages = Stage.objects.in_bulk(stage_ids - {None})
        activity_ids = {e.data.get("activity") for e in events if e.kind == K.ACTIVITY_LOGGED}
        self.activities = Activity.objects.in_bulk(activity_ids - {None})

    def data(self, event: DealEvent) -> dict:
        raw = event.data
        change = self.changes.get((event.deal_id, event.created_at))
        if event.kind in (K.CREATED, K.IMPORTED, K.REOPENED):
            stage_id = change.to_stage_id if change else None
            data = {"stage": _stage(stage_id, raw.get("stage"), self.stages)}
            if event.kind == K.REOPENED:
                data["was"] = raw.get("was")
            return data
        if event.kind == K.MOVED:
            return {
                "from_stage": _stage(
                    change.from_stage_id if change else None, raw.get("from"), self.stages
                ),
                "to_stage": _stage(
                    change.to_stage_id if change else None, raw.get("to"), self.stages
                ),
                "override_reason": (change.override_reason if change else "")
                or raw.get("override_reason")
                or None,
            }
        if event.kind == K.EDITED:
            change_json = {"field": raw.get("field"), "old": raw.get("old"), "new": raw.get("new")}
            if raw.get("custom_field"):
                change_json.update(
                    custom_field=raw["custom_field"],
                    old_value=raw.get("old_value"),
                    new_value=raw.get("new_value"),
                )
            return {"changes": [change_json]}
        if event.kind == K.REASSIGNED:
            return {"changes": [{"field": "owner", "old": raw.get("old"), "new": raw.get("new")}]}
        if event.kind == K.ACTIVITY_LOGGED:
            activity = self.activities.get(raw.get("activity"))
            if activity is None:  # deleted since: what the timeline kept
                return {
                    "activity": {
                        "id": raw.get("activity"),
                        "kind": raw.get("kind"),
                        "subject": raw.get("subject"),
                    }
                }
            return {"activity": jsonable(ActivitySerializer(activity).data)}
        if event.kind in (K.CHECKLIST_TICKED, K.CHECKLIST_UNTICKED):
            return {
                "item": {"id": raw.get("item_id"), "text": raw.get("item")},
                "stage": _stage(raw.get("stage_id"), raw.get("stage"), self.stages),
            }
        if event.kind in (K.WON, K.LOST):
            keep = ("stage", "reason", "note", "override_reason", "overridden_items")
            return {key: raw[key] for key in keep if key in raw}
        if event.kind == K.STALLED:
            return {"stalled_since": raw.get("stalled_since")}
        return jsonable(raw)

    def payload(self, event: DealEvent, event_type: str) -> dict | None:
        """The event's JSON without its ``id`` (each delivery has its own); None if the
        deal is gone."""
        deal = self.deals.get(event.deal_id)
        if deal is None:
            return None
        return {
            "type": event_type,
            "occurred_at": event.created_at.isoformat(),
            "actor": actor_json(event, event.user),
            "deal": deal,
            "data": jsonable(self.data(event)),
        }
