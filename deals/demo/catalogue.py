"""The demo company's catalogue: its people, pipelines, names and the shares that shape
the planner's stories."""

import math
from dataclasses import dataclass

from accounts.models import Role
from pipelines.models import ActivityKind, ChecklistItem, Pipeline

DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented demo login (README, Makefile)
MAX_DEALS = 100_000
DAY = 24 * 60  # the planner counts in minutes before "now"
HISTORY_DAYS = 360  # deals are created within the last ~12 months
BATCH = 2000

Kind = ChecklistItem.Kind
By = ChecklistItem.SatisfiedBy


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
        """Overrides are written by a manager of the owner's team (docs/domain/moves.md)."""
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
    # A custom field's key and the condition it must meet (deals/demo/custom_fields.py).
    custom_field: str = ""
    condition: str = ""

    @property
    def satisfied_by(self) -> str:
        if self.field_name:
            return By.FIELD
        if self.custom_field:
            return By.CUSTOM_FIELD
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
    forward_jumps: str
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
    forward_jumps=Pipeline.ForwardJumps.STRICT,
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
                ItemSpec(
                    Kind.ENTRY, "Budget confirmed", custom_field="budget_confirmed", condition="yes"
                ),
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
    # The demo shows both settings: Sales is strict, Renewals lets a deal skip freely.
    forward_jumps=Pipeline.ForwardJumps.ALLOWED,
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
