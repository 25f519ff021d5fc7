"""The writer: the demo company's rows, bulk-inserted model by model, in one transaction."""

import datetime
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
from deals.demo.catalogue import (
    BATCH,
    DAY,
    DEMO_USERNAMES,
    FIRST_NAMES,
    LAST_NAMES,
    LEGAL_FORMS,
    LOST_REASONS,
    ORG_NAMES,
    ORG_TRADES,
    PIPELINE_NAMES,
    PIPELINES,
    Workforce,
)
from deals.demo.planner import DealPlan, DealPlanner, EventPlan, PipelineRules
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


@dataclass
class DemoSummary:
    counts: dict[str, int]
    stall_candidates: int


def demo_company_existing() -> list[str]:
    """The demo users and pipelines already present (a second run must not duplicate them)."""
    users = User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
    pipelines = Pipeline.objects.filter(name__in=PIPELINE_NAMES).values_list("name", flat=True)
    return [f"user {name}" for name in users] + [f"pipeline {name}" for name in pipelines]


@transaction.atomic
def demo_company_seed(*, deal_count: int, seed: int, password: str) -> DemoSummary:
    """Create the demo company of docs/running.md in one transaction."""
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    workforce = Workforce.for_deals(deal_count)
    users = _users(workforce, password)
    _teams(workforce, users)
    pipelines, stages, items = _pipelines(now)
    reasons = _lost_reasons()
    orgs, people, people_of_org = _contacts(rng, deal_count)
    planner = DealPlanner(
        rng=rng,
        now=now,
        org_names=[org.name for org in orgs],
        people_of_org=people_of_org,
        workforce=workforce,
    )
    plans = [planner.plan() for _ in range(deal_count)]
    writer = _DealWriter(
        now=now,
        planner=planner,
        users=users,
        pipelines=pipelines,
        stages=stages,
        items=items,
        reasons=reasons,
        orgs=orgs,
        people=people,
    )
    counts = {"users": len(users), "organizations": len(orgs), "people": len(people)}
    counts.update(writer.write(plans))
    return DemoSummary(counts=counts, stall_candidates=_stall_candidates(plans))


def _users(workforce: Workforce, password: str) -> dict[str, User]:
    hashed = make_password(password)  # once: hashing is deliberately slow
    users = [
        User(
            username=spec.username,
            password=hashed,
            role=spec.role,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.first_name}.{spec.last_name}@pipelinecrm.example".lower(),
            is_staff=spec.role == Role.ADMIN,
            is_superuser=spec.role == Role.ADMIN,
        )
        for spec in workforce.users
    ]
    return {user.username: user for user in User.objects.bulk_create(users)}


def _teams(workforce: Workforce, users: dict[str, User]) -> None:
    names = list(workforce.teams)
    Team.objects.bulk_create([Team(name=name) for name in names], ignore_conflicts=True)
    teams = Team.objects.in_bulk(names, field_name="name")
    memberships = []
    for name, (manager, members) in workforce.teams.items():
        memberships.append(
            TeamMembership(team=teams[name], user=users[manager], kind=TeamMembership.Kind.MANAGER)
        )
        memberships += [TeamMembership(team=teams[name], user=users[m]) for m in members]
    TeamMembership.objects.bulk_create(memberships)


def _pipelines(
    now: datetime.datetime,
) -> tuple[list[Pipeline], list[list[Stage]], list[list[ChecklistItem]]]:
    """Pipelines, stages and items, indexed like the planner's specs."""
    # Dirty from the start, so the first forecast run computes the demo's snapshots.
    pipelines = Pipeline.objects.bulk_create(
        [
            Pipeline(
                name=spec.name,
                description=spec.description,
                visibility=spec.visibility,
                forward_jumps=spec.forward_jumps,
                forecast_dirty_since=now,
            )
            for spec in PIPELINES
        ]
    )
    stages = [
        Stage.objects.bulk_create(
            [
                Stage(
                    pipeline=pipeline,
                    name=stage.name,
                    position=position,
                    probability=stage.probability,
                    stall_threshold_days=stage.stall_days,
                    guidance=stage.guidance,
                )
                for position, stage in enumerate(spec.stages)
            ]
        )
        for pipeline, spec in zip(pipelines, PIPELINES, strict=True)
    ]
    items = []
    for rules, pipeline_stages in zip(map(PipelineRules.of, PIPELINES), stages, strict=True):
        positions: dict[tuple[int, str], itertools.count] = defaultdict(itertools.count)
        items.append(
            ChecklistItem.objects.bulk_create(
                [
                    ChecklistItem(
                        stage=pipeline_stages[stage_index],
                        kind=item.kind,
                        text=item.text,
                        position=next(positions[stage_index, item.kind]),
                        is_required=item.required,
                        satisfied_by=item.satisfied_by,
                        field_name=item.field_name,
                        activity_kind=item.activity_kind,
                    )
                    for stage_index, item in rules.items
                ]
            )
        )
    return pipelines, stages, items


def _lost_reasons() -> dict[str, LostReason]:
    """Reuses reasons an admin already keeps under the same names."""
    LostReason.objects.bulk_create(
        [LostReason(name=name, position=i) for i, name in enumerate(LOST_REASONS)],
        ignore_conflicts=True,
    )
    return LostReason.objects.in_bulk(list(LOST_REASONS), field_name="name")


def _contacts(
    rng: random.Random, deal_count: int
) -> tuple[list[Organization], list[Person], list[list[int]]]:
    """Organizations with one to three people each; people_of_org[i] indexes people."""
    count = min(600, max(12, deal_count // 3))
    combos = list(itertools.product(ORG_NAMES, ORG_TRADES))
    chosen = [combos[i] for i in rng.sample(range(len(combos)), count)]
    orgs = Organization.objects.bulk_create(
        [
            Organization(
                name=f"{name} {trade} {rng.choice(LEGAL_FORMS)}",
                domain=f"{name}-{trade}.example".lower().replace(" ", ""),
            )
            for name, trade in chosen
        ],
        batch_size=BATCH,
    )
    people, people_of_org = [], []
    for org in orgs:
        people_of_org.append([])
        for _ in range(rng.randint(1, 3)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            people_of_org[-1].append(len(people))
            people.append(
                Person(
                    name=f"{first} {last}",
                    email=f"{first}.{last}@{org.domain}".lower().replace("'", ""),
                    phone=f"+44 20 7946 0{rng.randint(0, 999):03d}",  # Ofcom's drama range
                    organization=org,
                )
            )
    Person.objects.bulk_create(people, batch_size=BATCH)
    return orgs, people, people_of_org


def _stall_candidates(plans: list[DealPlan]) -> int:
    """Open deals the stall job will flag on its first run (the seed leaves the flag off)."""
    count = 0
    for plan in plans:
        if plan.status != Deal.Status.OPEN:
            continue
        threshold = PIPELINES[plan.pipeline].stages[plan.stage].stall_days * DAY
        last_touch = min(plan.entered, plan.last_activity or plan.entered)
        count += last_touch > threshold
    return count


class _DealWriter:
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
        )

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
