"""The demo company: its users, teams, pipelines, lost reasons and contacts, then its deals
(planned by ``planner.py``, written by ``writer.py``), all in one transaction."""

import datetime
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
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
from deals.demo.custom_fields import DemoValues, demo_fields_create
from deals.demo.planner import DealPlan, DealPlanner, PipelineRules
from deals.demo.writer import DealWriter
from deals.models import (
    Deal,
    LostReason,
    Organization,
    Person,
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
    # Their own generator: the deals' stories stay what ``seed`` made them.
    values = DemoValues(
        rng=random.Random(seed + 1),  # noqa: S311 - reproducible demo data, not a secret
        usernames=[spec.username for spec in workforce.users],
    )
    for plan in plans:
        plan.custom_fields = values.of(plan)
    writer = DealWriter(
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
    """Pipelines, stages and items, indexed like the planner's specs; the custom fields
    (deals/demo/custom_fields.py), which items may name."""
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
    custom_fields = demo_fields_create(pipelines)
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
                        custom_field=custom_fields.get(item.custom_field),
                        condition=item.condition,
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
