"""The demo company of ``manage.py seed_demo`` (PRODUCT.md §10).

Two halves. The *planner* decides what happened to each deal with one
``random.Random(seed)``, reasoning in minutes before "now", so a seed gives the same company
whatever the date. The *writer* bulk-inserts the plan, which is what keeps 10,000 deals fast.

Bulk inserts bypass ``deal_move``, so the planner applies the move rules itself (§3): a
forward move has every required exit item of the stage it leaves and entry item of the stage
it enters done beforehand (ticked, field filled, activity logged in time) or carries an
override reason naming exactly the items it skipped; a won deal has its last stage's exit
items; positions are dense per column; ``version`` counts the user writes on the timeline.
tests/deals/test_seed_demo.py checks the seeded data against those rules.
"""

import datetime
import itertools
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
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
from pipelines.models import ActivityKind, ChecklistItem, Pipeline, Stage

DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented demo login (README, Makefile)
MAX_DEALS = 100_000
DAY = 24 * 60  # the planner counts in minutes before "now"
HISTORY_DAYS = 360  # deals are created within the last ~12 months
BATCH = 2000

Kind = ChecklistItem.Kind
By = ChecklistItem.SatisfiedBy

# -- The catalogue: people, pipelines, names ------------------------------------------------


@dataclass(frozen=True)
class UserSpec:
    username: str
    role: str
    first_name: str
    last_name: str


USERS = (
    UserSpec("admin", Role.ADMIN, "Olivia", "Bennett"),
    UserSpec("manager", Role.MANAGER, "Marcus", "Weber"),
    UserSpec("manager2", Role.MANAGER, "Sofia", "Rossi"),
    UserSpec("rep1", Role.REP, "Liam", "Carter"),
    UserSpec("rep2", Role.REP, "Emma", "Schmidt"),
    UserSpec("rep3", Role.REP, "Noah", "Dubois"),
)
DEMO_USERNAMES = tuple(spec.username for spec in USERS)
TEAMS = {"North": ("manager", ("rep1", "rep2")), "South": ("manager2", ("rep3",))}
# Who owns deals, and how many of them: reps carry most of the pipeline.
OWNER_WEIGHTS = {"rep1": 25, "rep2": 25, "rep3": 25, "manager": 12, "manager2": 13}
# A bigger company has more people, not busier ones: every DEALS_PER_TEAM deals beyond the
# first bring a regional team (a manager and three reps), so the named people carry about
# the same load at 100,000 deals as at 10,000.
DEALS_PER_TEAM = 10_000
REGIONAL_WEIGHTS = {Role.MANAGER: 12, Role.REP: 25}


@dataclass(frozen=True)
class Workforce:
    """The demo company's people and teams, sized to its number of deals."""

    users: tuple[UserSpec, ...]
    teams: dict[str, tuple[str, tuple[str, ...]]]
    owner_weights: dict[str, int]

    @classmethod
    def for_deals(cls, deal_count: int) -> "Workforce":
        users, teams, weights = list(USERS), dict(TEAMS), dict(OWNER_WEIGHTS)
        for number in range(1, math.ceil(deal_count / DEALS_PER_TEAM)):
            manager = f"manager{number + 2}"
            reps = tuple(f"rep{3 * number + offset}" for offset in (1, 2, 3))
            teams[f"Region {number}"] = (manager, reps)
            for username in (manager, *reps):
                role = Role.MANAGER if username == manager else Role.REP
                index = len(users)
                users.append(
                    UserSpec(
                        username,
                        role,
                        FIRST_NAMES[index % len(FIRST_NAMES)],
                        LAST_NAMES[(index * 7) % len(LAST_NAMES)],
                    )
                )
                weights[username] = REGIONAL_WEIGHTS[role]
        return cls(users=tuple(users), teams=teams, owner_weights=weights)

    @property
    def overrider(self) -> dict[str, str]:
        """Overrides are written by a manager of the owner's team (PRODUCT.md §3.5)."""
        return {
            user: manager
            for manager, members in self.teams.values()
            for user in (manager, *members)
        }


@dataclass(frozen=True)
class ItemSpec:
    kind: str
    text: str
    required: bool = True
    field_name: str = ""
    activity_kind: str = ""

    @property
    def satisfied_by(self) -> str:
        if self.field_name:
            return By.FIELD
        return By.ACTIVITY if self.activity_kind else By.MANUAL


@dataclass(frozen=True)
class StageSpec:
    name: str
    probability: int
    stall_days: int
    guidance: str
    items: tuple[ItemSpec, ...]
    mean_days: float  # typical time a deal spends here
    lost_chance: float  # chance a deal is lost when it leaves the stage


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    description: str
    visibility: str
    share: float  # of the deals
    new_business: bool  # early deals may lack an organization or a value; some skip a stage
    products: tuple[str, ...]
    median_value: int
    value_spread: float
    stages: tuple[StageSpec, ...]


SALES = PipelineSpec(
    name="Sales",
    description="New business, from first contact to signed contract.",
    visibility=Pipeline.Visibility.TEAM,
    share=0.8,
    new_business=True,
    products=(
        "Platform licence",
        "Pilot project",
        "Enterprise upgrade",
        "Onboarding package",
        "Premium support",
        "Data migration",
        "Analytics add-on",
        "Team expansion",
        "Integration project",
        "Training programme",
    ),
    median_value=12_000,
    value_spread=0.9,
    stages=(
        StageSpec(
            "Prospecting",
            10,
            14,
            "First contact with a company that may need us. Find out who decides and whether "
            "there is a real need. Move on once you have spoken to someone there.",
            (
                ItemSpec(Kind.EXIT, "Organization recorded", field_name="organization"),
                ItemSpec(Kind.EXIT, "First conversation held"),
                ItemSpec(Kind.EXIT, "Contact person recorded", False, field_name="person"),
            ),
            mean_days=6,
            lost_chance=0.12,
        ),
        StageSpec(
            "Qualification",
            20,
            14,
            "Check need, budget, authority and timing. Move on once the customer confirms "
            "the need and you can put a number on the deal.",
            (
                ItemSpec(Kind.EXIT, "Need confirmed by the customer"),
                ItemSpec(Kind.EXIT, "Deal value estimated", field_name="value"),
                ItemSpec(Kind.EXIT, "Decision maker identified", False),
            ),
            mean_days=7,
            lost_chance=0.12,
        ),
        StageSpec(
            "Meeting/Demo",
            40,
            10,
            "Show the product to the people who will use and buy it. Move on once the demo "
            "meeting has taken place.",
            (
                ItemSpec(Kind.ENTRY, "Demo date agreed"),
                ItemSpec(Kind.EXIT, "Demo meeting held", activity_kind=ActivityKind.MEETING),
                ItemSpec(Kind.EXIT, "Technical requirements noted", False),
            ),
            mean_days=7,
            lost_chance=0.1,
        ),
        StageSpec(
            "Proposal",
            60,
            10,
            "Write and send the proposal. A deal enters with a confirmed budget and an "
            "expected close date.",
            (
                ItemSpec(Kind.ENTRY, "Budget confirmed"),
                ItemSpec(Kind.ENTRY, "Expected close date set", field_name="expected_close_date"),
                ItemSpec(Kind.EXIT, "Proposal sent"),
                ItemSpec(Kind.EXIT, "Follow-up call held", False, activity_kind=ActivityKind.CALL),
            ),
            mean_days=7,
            lost_chance=0.1,
        ),
        StageSpec(
            "Negotiation",
            80,
            7,
            "Agree price and terms with the buyer; bring in legal early.",
            (
                ItemSpec(Kind.EXIT, "Terms agreed with the buyer"),
                ItemSpec(Kind.EXIT, "Legal review done", False),
            ),
            mean_days=6,
            lost_chance=0.08,
        ),
        StageSpec(
            "Contract sent",
            90,
            7,
            "The contract is with the customer for signature. Mark the deal won when the "
            "signed contract is back.",
            (
                ItemSpec(Kind.ENTRY, "Final price approved internally"),
                ItemSpec(Kind.EXIT, "Signed contract received"),
            ),
            mean_days=5,
            lost_chance=0.1,
        ),
    ),
)

RENEWALS = PipelineSpec(
    name="Renewals",
    description="Renewals of existing contracts; only the account owner sees them.",
    visibility=Pipeline.Visibility.OWNER,
    share=0.2,
    new_business=False,
    products=(
        "Annual licence renewal",
        "Support contract renewal",
        "Multi-year renewal",
        "Renewal with upsell",
    ),
    median_value=6_000,
    value_spread=0.6,
    stages=(
        StageSpec(
            "Renewal due",
            30,
            30,
            "The contract ends within 90 days. Call the customer to hear how it is going.",
            (
                ItemSpec(Kind.EXIT, "Renewal call held", activity_kind=ActivityKind.CALL),
                ItemSpec(Kind.EXIT, "Usage report reviewed", False),
            ),
            mean_days=10,
            lost_chance=0.05,
        ),
        StageSpec(
            "Customer contacted",
            50,
            14,
            "Confirm the renewal value and look for upsell.",
            (
                ItemSpec(Kind.EXIT, "Renewal value confirmed", field_name="value"),
                ItemSpec(Kind.EXIT, "Upsell options discussed", False),
            ),
            mean_days=8,
            lost_chance=0.08,
        ),
        StageSpec(
            "Quote sent",
            75,
            10,
            "The quote is with the customer.",
            (
                ItemSpec(Kind.ENTRY, "Quote approved by the account manager"),
                ItemSpec(Kind.EXIT, "Quote accepted by the customer"),
            ),
            mean_days=7,
            lost_chance=0.08,
        ),
        StageSpec(
            "Verbal yes",
            90,
            7,
            "The customer said yes; get the renewal order signed.",
            (ItemSpec(Kind.EXIT, "Renewal order signed"),),
            mean_days=5,
            lost_chance=0.05,
        ),
    ),
)
PIPELINES = (SALES, RENEWALS)
PIPELINE_NAMES = tuple(spec.name for spec in PIPELINES)

LOST_REASONS = {"Price": 30, "Competitor": 25, "No budget": 20, "Timing": 15, "No decision": 10}
LOST_NOTES = (
    "Went with a cheaper local vendor.",
    "Budget moved to next fiscal year.",
    "Our champion left the company.",
    "Chose the incumbent's bundle.",
    "No answer after the proposal.",
)
OVERRIDE_REASONS = (
    "Customer signed a letter of intent; paperwork follows.",
    "Verbal go-ahead from the CFO; the formal step follows next week.",
    "Fast-tracked by the sales director for quarter end.",
    "Existing customer: this step is not needed.",
    "Handled by our implementation partner.",
)
SUBJECTS = {
    ActivityKind.CALL: (
        "Intro call",
        "Discovery call",
        "Follow-up call",
        "Pricing call",
        "Check-in call",
    ),
    ActivityKind.MEETING: (
        "Product demo",
        "Discovery meeting",
        "On-site visit",
        "Stakeholder meeting",
        "Quarterly review",
    ),
    ActivityKind.EMAIL: (
        "Sent case study",
        "Sent pricing overview",
        "Answered security questionnaire",
        "Follow-up email",
        "Sent meeting recap",
    ),
    ActivityKind.TASK: (
        "Prepare proposal",
        "Update account plan",
        "Send contract draft",
        "Book technical workshop",
        "Ask for references",
    ),
    ActivityKind.NOTE: (
        "Notes from call",
        "Competitor mentioned",
        "Budget cycle starts next quarter",
        "Decision expected this month",
    ),
}
SCHEDULED_KINDS = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL, ActivityKind.TASK)

ORG_NAMES = (
    "Acme", "Alder", "Beacon", "Blue Harbor", "Brightline", "Cedar", "Copperfield", "Crescent",
    "Driftwood", "Evergreen", "Falcon", "Foxglove", "Granite", "Greenfield", "Highland",
    "Ironwood", "Juniper", "Keystone", "Lakeside", "Larkspur", "Maple", "Meridian", "Nimbus",
    "Northstar", "Northwind", "Oakridge", "Orchard", "Pinnacle", "Prairie", "Redwood",
    "Riverside", "Silverline", "Sterling", "Summit", "Thornbury", "Tidewater", "Vantage",
    "Westbrook", "Willow", "Zenith",
)  # fmt: skip
ORG_TRADES = (
    "Logistics", "Foods", "Systems", "Health", "Energy", "Consulting", "Robotics", "Textiles",
    "Analytics", "Construction", "Pharma", "Retail", "Media", "Insurance", "Hotels", "Motors",
    "Labs", "Software", "Brewing", "Aerospace",
)  # fmt: skip
LEGAL_FORMS = ("Ltd", "Inc.", "GmbH", "SA", "BV", "AG", "LLC", "plc")
FIRST_NAMES = (
    "Aisha", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas",
    "Kira", "Lucas", "Maya", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Samir", "Tara",
    "Umar", "Vera", "Walter", "Yusuf", "Zoe", "Anna", "Bruno", "Chloe", "Daniel", "Eva",
)  # fmt: skip
LAST_NAMES = (
    "Andersen", "Brooks", "Costa", "Dimitrov", "Eriksen", "Fischer", "Garcia", "Hughes",
    "Ivanova", "Jansen", "Kowalski", "Laurent", "Moreau", "Nakamura", "O'Brien", "Petrov",
    "Quint", "Romano", "Silva", "Thompson", "Umarov", "Varga", "Walsh", "Young", "Zimmermann",
)  # fmt: skip

# Shares that shape the planner's stories.
SECOND_STAGE_START = 0.1  # Sales deals that start in Qualification (referrals)
STUCK_SHARE = 0.12  # visits that last far longer than usual: the stall candidates
BACKWARD_SHARE = 0.05
SKIP_SHARE = 0.07
OVERRIDE_SHARE = 0.06  # forward moves with missing items that a manager pushes through
REFUSAL_SHARE = 0.1  # forward moves that were first refused for a missing item
QUIET_SHARE = 0.35  # open deals nobody has touched since they entered their stage


# -- The planner ----------------------------------------------------------------------------


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
    needed_fields: set[str] = field(default_factory=set)
    quiet: bool = False  # open, and untouched since it entered its stage

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
            if stage == last:  # won needs the stage's required exit items (§3.9)
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
        """Leave the current stage forward, as deal_move would have allowed it (§3.2, §3.5)."""
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
        """Required exit items of one stage and entry items of another; notes the fields."""
        rules = self.rules[deal.pipeline]
        needed = rules.indexes(exit_of, Kind.EXIT, required=True)
        if entry_of is not None:
            needed += rules.indexes(entry_of, Kind.ENTRY, required=True)
        deal.needed_fields.update(
            rules.items[index][1].field_name for index in needed if rules.items[index][1].field_name
        )
        return needed

    def _satisfied(self, deal: DealPlan, index: int, entered: int, leave: int) -> bool:
        """Manual and activity items only: field items are settled by ``_unknowns``."""
        item = self.rules[deal.pipeline].items[index][1]
        if item.satisfied_by == By.FIELD:
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
            if item.satisfied_by == By.FIELD or self._satisfied(deal, index, entered, leave):
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
        """Leave some fields empty — never one a move this deal made required (§2)."""
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


# -- The writer ---------------------------------------------------------------------------


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
    """Create the demo company of PRODUCT.md §10 in one transaction."""
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
