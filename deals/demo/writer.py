"""The deal writer: the demo deals' plans turned into rows, bulk-inserted model by model."""

import datetime
from collections import defaultdict

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Least

from accounts.models import User
from deals.demo.catalogue import (
    BATCH,
    PIPELINES,
)
from deals.demo.planner import DealPlan, DealPlanner, EventPlan
from deals.models import (
    Activity,
    ChecklistCheck,
    Deal,
    DealEvent,
    LostReason,
    MoveRefusal,
    Organization,
    Person,
    StageChange,
)
from pipelines.models import ChecklistItem, Pipeline, Stage


class DealWriter:
    """Turns plans into rows, bulk-inserted model by model."""

    def __init__(
        self,
        *,
        now: datetime.datetime,
        planner: DealPlanner,
        users: dict[str, User],
        pipelines: list[Pipeline],
        stages: list[list[Stage]],
        items: list[list[ChecklistItem]],
        reasons: dict[str, LostReason],
        orgs: list[Organization],
        people: list[Person],
    ) -> None:
        self.now = now
        self.planner = planner
        self.users = users
        self.pipelines = pipelines
        self.stages = stages
        self.items = items
        self.reasons = reasons
        self.orgs = orgs
        self.people = people

    def at(self, minutes: int) -> datetime.datetime:
        return self.now - datetime.timedelta(minutes=minutes)

    def write(self, plans: list[DealPlan]) -> dict[str, int]:
        timelines = [self._timeline(plan) for plan in plans]
        deals = Deal.objects.bulk_create(
            [
                self._deal(plan, position, len(timeline))
                for plan, position, timeline in zip(
                    plans, self._positions(plans), timelines, strict=True
                )
            ],
            batch_size=BATCH,
        )
        changes = self._stage_changes(plans, deals)
        checks = ChecklistCheck.objects.bulk_create(
            [
                ChecklistCheck(
                    deal=deal,
                    item=self.items[plan.pipeline][index],
                    checked_by=self.users[plan.owner],
                    checked_at=self.at(at),
                )
                for plan, deal in zip(plans, deals, strict=True)
                for index, at in plan.checks.items()
            ],
            batch_size=BATCH,
        )
        planned = [
            (activity, plan, deal)
            for plan, deal in zip(plans, deals, strict=True)
            for activity in plan.activities
        ]
        activities = Activity.objects.bulk_create(
            [
                Activity(
                    deal=deal,
                    owner=self.users[plan.owner],
                    kind=activity.kind,
                    subject=activity.subject,
                    due_at=self.at(activity.due),
                    done_at=None if activity.done is None else self.at(activity.done),
                )
                for activity, plan, deal in planned
            ],
            batch_size=BATCH,
        )
        activity_ids = {
            activity: row.pk for (activity, _, _), row in zip(planned, activities, strict=True)
        }
        events = DealEvent.objects.bulk_create(
            [
                DealEvent(
                    deal=deal,
                    kind=event.kind,
                    user=self.users[event.user],
                    data=(
                        {"activity": activity_ids[event.activity], **event.data}
                        if event.activity
                        else event.data
                    ),
                    created_at=self.at(event.at),
                    # History: already handed on to webhooks (docs/domain/webhooks.md).
                    dispatched_at=self.at(event.at),
                )
                for timeline, deal in zip(timelines, deals, strict=True)
                for event in timeline
            ],
            batch_size=BATCH,
        )
        refusals = self._refusals(plans, deals)
        self._backdate()
        statuses = [plan.status for plan in plans]
        return {
            "deals": len(deals),
            "open": statuses.count(Deal.Status.OPEN),
            "won": statuses.count(Deal.Status.WON),
            "lost": statuses.count(Deal.Status.LOST),
            "stage changes": changes,
            "checklist checks": len(checks),
            "activities": len(activities),
            "events": len(events),
            "move refusals": refusals,
        }

    def _positions(self, plans: list[DealPlan]) -> list[int | None]:
        """Dense 0..n-1 per column, the most recently entered deal on top (like a move)."""
        columns: dict[tuple[int, int], list[int]] = defaultdict(list)
        for number, plan in enumerate(plans):
            if plan.status == Deal.Status.OPEN:
                columns[plan.pipeline, plan.stage].append(number)
        positions: list[int | None] = [None] * len(plans)
        for numbers in columns.values():
            numbers.sort(key=lambda number: (plans[number].entered, number))
            for position, number in enumerate(numbers):
                positions[number] = position
        return positions

    def _deal(self, plan: DealPlan, position: int | None, version: int) -> Deal:
        last_activity = plan.last_activity
        return Deal(
            title=self.planner.title(plan),
            value=plan.value,
            pipeline=self.pipelines[plan.pipeline],
            stage=self.stages[plan.pipeline][plan.stage],
            owner=self.users[plan.owner],
            organization=None if plan.organization is None else self.orgs[plan.organization],
            person=None if plan.person is None else self.people[plan.person],
            expected_close_date=plan.expected_close_date,
            status=plan.status,
            lost_reason=self.reasons[plan.lost_reason] if plan.lost_reason else None,
            lost_note=plan.lost_note,
            closed_at=None if plan.closed is None else self.at(plan.closed),
            position=position,
            stage_entered_at=self.at(plan.entered),
            last_activity_at=None if last_activity is None else self.at(last_activity),
            version=version,
            custom_fields=self._custom_fields(plan.custom_fields),
        )

    def _custom_fields(self, values: dict) -> dict:
        """The plan's values as stored: a user field's username becomes the user's id."""
        user = values.get("technical_contact")
        if user is None:
            return values
        return values | {"technical_contact": self.users[user].pk}

    def _timeline(self, plan: DealPlan) -> list[EventPlan]:
        """The deal's events, oldest first, with the data the services write (services/)."""
        stage_names = [stage.name for stage in PIPELINES[plan.pipeline].stages]
        items = self.planner.rules[plan.pipeline].items
        first, *moves = plan.changes
        final_stage = {"stage": stage_names[plan.stage]}
        events = [
            EventPlan(
                DealEvent.Kind.CREATED, first.at, plan.owner, {"stage": stage_names[first.to_stage]}
            )
        ]
        for change in moves:
            data = {"from": stage_names[change.from_stage], "to": stage_names[change.to_stage]}
            if change.override_reason:
                data["override_reason"] = change.override_reason
            events.append(EventPlan(DealEvent.Kind.MOVED, change.at, change.user, data))
        for index, at in plan.checks.items():
            stage_index, item = items[index]
            data = {"item": item.text, "stage": stage_names[stage_index]}
            events.append(EventPlan(DealEvent.Kind.CHECKLIST_TICKED, at, plan.owner, data))
        for activity in plan.activities:
            if activity.done is not None:
                data = {"kind": activity.kind, "subject": activity.subject, "done": True}
                events.append(
                    EventPlan(
                        DealEvent.Kind.ACTIVITY_LOGGED, activity.done, plan.owner, data, activity
                    )
                )
        if plan.status == Deal.Status.WON:
            events.append(EventPlan(DealEvent.Kind.WON, plan.closed, plan.owner, final_stage))
        elif plan.status == Deal.Status.LOST:
            data = {**final_stage, "reason": plan.lost_reason, "note": plan.lost_note}
            events.append(EventPlan(DealEvent.Kind.LOST, plan.closed, plan.owner, data))
        events.sort(key=lambda event: -event.at)
        return events

    def _stage_changes(self, plans: list[DealPlan], deals: list[Deal]) -> int:
        rows, overridden = [], []
        for plan, deal in zip(plans, deals, strict=True):
            stages = self.stages[plan.pipeline]
            previous = None
            for change in plan.changes:
                rows.append(
                    StageChange(
                        deal=deal,
                        from_stage=None if change.from_stage is None else stages[change.from_stage],
                        to_stage=stages[change.to_stage],
                        user=self.users[change.user],
                        changed_at=self.at(change.at),
                        time_in_from_stage=(
                            None
                            if previous is None
                            else datetime.timedelta(minutes=previous - change.at)
                        ),
                        override_reason=change.override_reason,
                    )
                )
                overridden.append([self.items[plan.pipeline][i] for i in change.overridden])
                previous = change.at
        StageChange.objects.bulk_create(rows, batch_size=BATCH)
        through = StageChange.overridden_items.through
        through.objects.bulk_create(
            [
                through(stagechange=row, checklistitem=item)
                for row, items in zip(rows, overridden, strict=True)
                for item in items
            ],
            batch_size=BATCH,
        )
        return len(rows)

    def _refusals(self, plans: list[DealPlan], deals: list[Deal]) -> int:
        rows, times, missing = [], [], []
        for plan, deal in zip(plans, deals, strict=True):
            stages, items = self.stages[plan.pipeline], self.items[plan.pipeline]
            for refusal in plan.refusals:
                rows.append(
                    MoveRefusal(
                        deal=deal,
                        user=self.users[refusal.user],
                        from_stage=stages[refusal.from_stage],
                        to_stage=stages[refusal.to_stage],
                    )
                )
                times.append(self.at(refusal.at))
                missing.append([items[index] for index in refusal.missing])
        MoveRefusal.objects.bulk_create(rows, batch_size=BATCH)
        # created_at is auto_now_add, which bulk_create stamps with now; bulk_update does not.
        for row, refused_at in zip(rows, times, strict=True):
            row.created_at = refused_at
        MoveRefusal.objects.bulk_update(rows, ["created_at"], batch_size=BATCH)
        through = MoveRefusal.missing_items.through
        through.objects.bulk_create(
            [
                through(moverefusal=row, checklistitem=item)
                for row, items in zip(rows, missing, strict=True)
                for item in items
            ],
            batch_size=BATCH,
        )
        return len(rows)

    def _backdate(self) -> None:
        """auto_now(_add) stamped every row with now; give them the times of their history."""
        seeded = Deal.objects.filter(pipeline__in=self.pipelines)
        timeline = DealEvent.objects.filter(deal=OuterRef("pk"))
        seeded.update(
            created_at=Subquery(timeline.order_by("created_at", "id").values("created_at")[:1]),
            updated_at=Subquery(timeline.order_by("-created_at", "-id").values("created_at")[:1]),
        )
        # Done activities were logged when done; open ones were planned before they fell due.
        logged = Least(Coalesce("done_at", "due_at"), Value(self.now))
        Activity.objects.filter(deal__pipeline__in=self.pipelines).update(
            created_at=logged, updated_at=logged
        )
