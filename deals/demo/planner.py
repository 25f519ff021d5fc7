"""The planner: what happened to each deal, decided with one ``random.Random(seed)`` in
minutes before "now", applying the move rules (docs/domain/moves.md) itself."""

import datetime
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from deals.demo.catalogue import (
    BACKWARD_SHARE,
    DAY,
    HISTORY_DAYS,
    LOST_NOTES,
    LOST_REASONS,
    OVERRIDE_REASONS,
    OVERRIDE_SHARE,
    PIPELINES,
    QUIET_SHARE,
    REFUSAL_SHARE,
    SALES,
    SCHEDULED_KINDS,
    SECOND_STAGE_START,
    SKIP_SHARE,
    STUCK_SHARE,
    SUBJECTS,
    By,
    ItemSpec,
    Kind,
    PipelineSpec,
    Workforce,
)
from deals.models import Deal
from pipelines.models import ActivityKind, Pipeline


@dataclass
class ChangePlan:
    from_stage: int | None
    to_stage: int
    at: int  # minutes before now, like every ``at`` below
    user: str
    override_reason: str = ""
    overridden: tuple[int, ...] = ()  # indexes into the pipeline's item list


@dataclass
class RefusalPlan:
    from_stage: int
    to_stage: int
    at: int
    user: str
    missing: tuple[int, ...]


@dataclass(eq=False)  # hashed by identity: the writer maps each plan to its row
class ActivityPlan:
    kind: str
    subject: str
    due: int  # negative: in the future
    done: int | None


@dataclass
class EventPlan:
    """A timeline entry; every one but "created" is a user write that bumped the version."""

    kind: str
    at: int
    user: str
    data: dict
    activity: ActivityPlan | None = None  # the activity an "activity logged" event names


@dataclass
class DealPlan:
    pipeline: int
    owner: str
    product: str
    organization: int | None
    person: int | None
    value: Decimal | None
    status: str = Deal.Status.OPEN
    closed: int | None = None
    expected_close_date: datetime.date | None = None
    lost_reason: str | None = None
    lost_note: str = ""
    changes: list[ChangePlan] = field(default_factory=list)
    checks: dict[int, int] = field(default_factory=dict)  # item index -> when ticked
    activities: list[ActivityPlan] = field(default_factory=list)
    refusals: list[RefusalPlan] = field(default_factory=list)
    needed_fields: set[str] = field(default_factory=set)  # custom fields as "custom:<key>"
    quiet: bool = False  # open, and untouched since it entered its stage
    custom_fields: dict = field(default_factory=dict)  # set by deals/demo/custom_fields.py

    @property
    def stage(self) -> int:
        return self.changes[-1].to_stage

    @property
    def entered(self) -> int:
        return self.changes[-1].at

    @property
    def last_activity(self) -> int | None:
        return min((a.done for a in self.activities if a.done is not None), default=None)


@dataclass(frozen=True)
class PipelineRules:
    """A pipeline's checklist items by stage, as indexes into one flat item list."""

    spec: PipelineSpec
    items: tuple[tuple[int, ItemSpec], ...]  # (stage index, item)
    background_kinds: tuple[str, ...]

    @classmethod
    def of(cls, spec: PipelineSpec) -> "PipelineRules":
        items = tuple(
            (stage_index, item)
            for stage_index, stage in enumerate(spec.stages)
            for item in stage.items
        )
        # Everyday activities avoid the kinds that satisfy required items, so they never
        # satisfy by accident an item the plan records as overridden.
        gated = {item.activity_kind for _, item in items if item.required and item.activity_kind}
        background = tuple(kind for kind in ActivityKind.values if kind not in gated)
        return cls(spec=spec, items=items, background_kinds=background)

    def indexes(self, stage: int, kind: str, *, required: bool) -> list[int]:
        return [
            index
            for index, (stage_index, item) in enumerate(self.items)
            if stage_index == stage and item.kind == kind and item.required == required
        ]


class DealPlanner:
    """Tells each deal's story: created, moved stage by stage, won, lost or still open."""

    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime.datetime,
        org_names: list[str],
        people_of_org: list[list[int]],
        workforce: Workforce,
    ) -> None:
        self.rng = rng
        self.owners, self.weights = (
            list(workforce.owner_weights),
            list(workforce.owner_weights.values()),
        )
        self.overrider = workforce.overrider
        self.now = now
        self.today = timezone.localdate(now)
        self.org_names = org_names
        self.people_of_org = people_of_org
        self.rules = [PipelineRules.of(spec) for spec in PIPELINES]

    def plan(self) -> DealPlan:
        rng = self.rng
        pipeline = 0 if rng.random() < SALES.share else 1
        spec = PIPELINES[pipeline]
        organization = rng.randrange(len(self.org_names))
        deal = DealPlan(
            pipeline=pipeline,
            owner=rng.choices(self.owners, weights=self.weights)[0],
            product=rng.choice(spec.products),
            organization=organization,
            person=rng.choice(self.people_of_org[organization]) if rng.random() < 0.8 else None,
            value=self._value(spec),
        )
        # Skewed towards recent months: older deals have mostly closed, a board needs cards.
        created = 180 + int(HISTORY_DAYS * DAY * rng.random() ** 2.2)
        first = 1 if spec.new_business and rng.random() < SECOND_STAGE_START else 0
        deal.changes.append(ChangePlan(None, first, created, deal.owner))
        self._walk(deal)
        self._everyday_activities(deal, created)
        self._unknowns(deal)
        return deal

    def _value(self, spec: PipelineSpec) -> Decimal:
        amount = self.rng.lognormvariate(math.log(spec.median_value), spec.value_spread)
        return Decimal(max(500, round(amount, -2))).quantize(Decimal("0.01"))

    def _walk(self, deal: DealPlan) -> None:
        rng = self.rng
        rules = self.rules[deal.pipeline]
        last = len(rules.spec.stages) - 1
        while True:
            stage, entered = deal.stage, deal.entered
            stage_spec = rules.spec.stages[stage]
            dwell = 120 + int(rng.expovariate(1 / stage_spec.mean_days) * DAY)
            if rng.random() < STUCK_SHARE:
                dwell = int(dwell * rng.uniform(2.5, 6))
            leave = entered - dwell
            if leave <= 0:
                deal.quiet = rng.random() < QUIET_SHARE
                self._work_on(deal, stage, entered, 0, with_activities=not deal.quiet)
                break
            roll = rng.random()
            if roll < stage_spec.lost_chance:
                self._work_on(deal, stage, entered, leave, with_activities=True)
                deal.status, deal.closed = Deal.Status.LOST, leave
                deal.lost_reason = rng.choices(list(LOST_REASONS), list(LOST_REASONS.values()))[0]
                deal.lost_note = rng.choice(LOST_NOTES) if rng.random() < 0.3 else ""
                break
            if stage == last:  # won needs the stage's required exit items (docs/domain/moves.md)
                self._complete(deal, self._require(deal, stage, None), entered, leave)
                self._tick_some(
                    deal, rules.indexes(stage, Kind.EXIT, required=False), entered, leave
                )
                deal.status, deal.closed = Deal.Status.WON, leave
                break
            roll = rng.random()
            if stage > 0 and roll < BACKWARD_SHARE:
                self._work_on(deal, stage, entered, leave, with_activities=True)
                deal.changes.append(ChangePlan(stage, stage - 1, leave, deal.owner))
            elif stage + 2 <= last and roll < BACKWARD_SHARE + SKIP_SHARE:
                self._move_forward(deal, stage + 2, leave)
            else:
                self._move_forward(deal, stage + 1, leave)

    def _move_forward(self, deal: DealPlan, target: int, leave: int) -> None:
        """Leave the current stage forward, as deal_move
        would have allowed it (docs/domain/moves.md)."""
        rng = self.rng
        rules = self.rules[deal.pipeline]
        stage, entered = deal.stage, deal.entered
        needed = self._require(deal, stage, target)
        pending = [index for index in needed if not self._satisfied(deal, index, entered, leave)]
        if pending and rng.random() < OVERRIDE_SHARE:
            if rng.random() < 0.8:
                refused = rng.randint(leave + 1, entered - 1)
                deal.refusals.append(
                    RefusalPlan(stage, target, refused, deal.owner, tuple(pending))
                )
            change = ChangePlan(
                stage,
                target,
                leave,
                self.overrider[deal.owner],
                override_reason=rng.choice(OVERRIDE_REASONS),
                overridden=tuple(pending),
            )
        else:
            done = self._complete(deal, pending, entered, leave)
            if pending and rng.random() < REFUSAL_SHARE:
                refused = rng.randint(leave + 1, entered - 1)
                missing = tuple(index for index in pending if done[index] < refused)
                if missing:
                    deal.refusals.append(RefusalPlan(stage, target, refused, deal.owner, missing))
            change = ChangePlan(stage, target, leave, deal.owner)
        optional = rules.indexes(stage, Kind.EXIT, required=False) + rules.indexes(
            target, Kind.ENTRY, required=False
        )
        self._tick_some(deal, optional, entered, leave)
        deal.changes.append(change)

    def _require(self, deal: DealPlan, exit_of: int, entry_of: int | None) -> list[int]:
        """The required items of a move from ``exit_of`` to ``entry_of`` (None: won), as
        deal_move needs them: on a strict pipeline the skipped stages' too (docs/domain/moves.md).
        Notes the fields."""
        rules = self.rules[deal.pipeline]
        strict = rules.spec.forward_jumps == Pipeline.ForwardJumps.STRICT
        if entry_of is None:
            left_behind = range(exit_of, len(rules.spec.stages)) if strict else [exit_of]
            entered = []
        elif strict:
            left_behind, entered = range(exit_of, entry_of), range(exit_of + 1, entry_of + 1)
        else:
            left_behind, entered = [exit_of], [entry_of]
        needed = [
            i for stage in left_behind for i in rules.indexes(stage, Kind.EXIT, required=True)
        ]
        needed += [i for stage in entered for i in rules.indexes(stage, Kind.ENTRY, required=True)]
        deal.needed_fields.update(
            rules.items[index][1].field_name for index in needed if rules.items[index][1].field_name
        )
        deal.needed_fields.update(
            f"custom:{rules.items[index][1].custom_field}"
            for index in needed
            if rules.items[index][1].custom_field
        )
        return needed

    def _satisfied(self, deal: DealPlan, index: int, entered: int, leave: int) -> bool:
        """Manual and activity items only: field items are settled by ``_unknowns``, custom
        field items by the values (deals/demo/custom_fields.py)."""
        item = self.rules[deal.pipeline].items[index][1]
        if item.satisfied_by in (By.FIELD, By.CUSTOM_FIELD):
            return True
        if item.satisfied_by == By.MANUAL:
            return index in deal.checks
        # Exit items count activities done since the deal entered the stage, entry items any.
        since = entered if item.kind == Kind.EXIT else math.inf
        return any(
            a.kind == item.activity_kind and a.done is not None and leave < a.done <= since
            for a in deal.activities
        )

    def _complete(
        self, deal: DealPlan, indexes: list[int], entered: int, leave: int
    ) -> dict[int, int]:
        """Do the given manual/activity items at random moments of the visit; returns when."""
        done = {}
        for index in indexes:
            item = self.rules[deal.pipeline].items[index][1]
            settled = item.satisfied_by in (By.FIELD, By.CUSTOM_FIELD)
            if settled or self._satisfied(deal, index, entered, leave):
                continue
            at = self.rng.randint(leave + 1, entered - 1)
            done[index] = at
            if item.satisfied_by == By.MANUAL:
                deal.checks[index] = at
            else:
                subject = self.rng.choice(SUBJECTS[item.activity_kind])
                deal.activities.append(ActivityPlan(item.activity_kind, subject, at, at))
        return done

    def _tick_some(self, deal: DealPlan, indexes: list[int], entered: int, leave: int) -> None:
        """Optional and half-done work: each manual item ticked with even odds."""
        items = self.rules[deal.pipeline].items
        for index in indexes:
            if self.rng.random() < 0.5 and items[index][1].satisfied_by == By.MANUAL:
                deal.checks.setdefault(index, self.rng.randint(leave + 1, entered - 1))

    def _work_on(
        self, deal: DealPlan, stage: int, entered: int, until: int, *, with_activities: bool
    ) -> None:
        """Partial progress on a stage the deal does not leave forward (open, lost, back)."""
        if entered - until < 2:
            return
        rules = self.rules[deal.pipeline]
        exits = rules.indexes(stage, Kind.EXIT, required=True) + rules.indexes(
            stage, Kind.EXIT, required=False
        )
        self._tick_some(deal, exits, entered, until)
        if not with_activities:
            return
        for index in exits:
            item = rules.items[index][1]
            if item.activity_kind and self.rng.random() < 0.4:
                at = self.rng.randint(until + 1, entered - 1)
                subject = self.rng.choice(SUBJECTS[item.activity_kind])
                deal.activities.append(ActivityPlan(item.activity_kind, subject, at, at))

    def _everyday_activities(self, deal: DealPlan, created: int) -> None:
        """Calls, emails and notes over the deal's life; the next step for open deals."""
        rng = self.rng
        # A quiet deal's everyday activities all precede its current stage: a stall candidate.
        end = deal.closed if deal.closed is not None else (deal.entered if deal.quiet else 0)
        kinds = self.rules[deal.pipeline].background_kinds
        count = rng.randint(0, 2) + min(4, (created - end) // (20 * DAY))
        for _ in range(count):
            if created - end < 2:
                break
            at = rng.randint(end + 1, created - 1)
            kind = rng.choice(kinds)
            deal.activities.append(ActivityPlan(kind, rng.choice(SUBJECTS[kind]), at, at))
        if deal.status != Deal.Status.OPEN:
            return
        roll = rng.random()
        kind = rng.choice(SCHEDULED_KINDS)
        subject = rng.choice(SUBJECTS[kind])
        if roll < 0.55:
            deal.activities.append(ActivityPlan(kind, subject, -rng.randint(60, 14 * DAY), None))
        elif roll < 0.7:
            overdue = min(rng.randint(60, 10 * DAY), created - 1)
            deal.activities.append(ActivityPlan(kind, subject, overdue, None))

    def _unknowns(self, deal: DealPlan) -> None:
        """Leave some fields empty — never one a move this
        deal made required (docs/domain/deals.md)."""
        rng = self.rng
        new_business = PIPELINES[deal.pipeline].new_business
        if new_business and "organization" not in deal.needed_fields and rng.random() < 0.1:
            deal.organization = deal.person = None
        if new_business and "value" not in deal.needed_fields and rng.random() < 0.35:
            deal.value = None
        roll = rng.random()
        if deal.status != Deal.Status.OPEN:
            closed_on = timezone.localdate(self.now - datetime.timedelta(minutes=deal.closed))
            deal.expected_close_date = closed_on + datetime.timedelta(days=rng.randint(-20, 10))
            return
        created_days = deal.changes[0].at // DAY
        if roll < 0.15:
            days_ago = rng.randint(1, max(1, min(45, created_days)))
            deal.expected_close_date = self.today - datetime.timedelta(days=days_ago)
        elif roll < 0.45:
            first_of_month = self.today.replace(day=1)
            next_month = (first_of_month + datetime.timedelta(days=32)).replace(day=1)
            days = (next_month - first_of_month).days
            day = int(rng.random() * days)
            deal.expected_close_date = first_of_month + datetime.timedelta(days=day)
        elif roll < 0.85 or "expected_close_date" in deal.needed_fields:
            deal.expected_close_date = self.today + datetime.timedelta(days=rng.randint(15, 180))

    def title(self, deal: DealPlan) -> str:
        if deal.organization is None:
            return f"{deal.product} – inbound lead"
        return f"{self.org_names[deal.organization]} – {deal.product}"
