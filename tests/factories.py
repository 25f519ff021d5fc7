"""Small builders for test data. Deals are created through the deal_create service."""

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role, Team, TeamMembership, User
from deals.models import Deal
from deals.services.activities import activity_log
from deals.services.deals import deal_create
from pipelines.models import ChecklistItem, CustomField, CustomFieldOption, Pipeline, Stage

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)

SALES_STAGES = [
    ("Prospecting", 10),
    ("Qualification", 20),
    ("Meeting/Demo", 40),
    ("Proposal", 60),
    ("Negotiation", 80),
    ("Contract sent", 90),
]


def make_user(username: str, role: str = Role.REP, **extra) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        first_name=extra.pop("first_name", username.capitalize()),
        last_name=extra.pop("last_name", "Test"),
        email=extra.pop("email", f"{username}@example.com"),
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
        **extra,
    )
    return user


def make_team(name: str, *, managers=(), members=()) -> Team:
    team = Team.objects.create(name=name)
    for user in managers:
        TeamMembership.objects.create(team=team, user=user, kind=TeamMembership.Kind.MANAGER)
    for user in members:
        TeamMembership.objects.create(team=team, user=user, kind=TeamMembership.Kind.MEMBER)
    return team


def make_pipeline(
    name: str | None = None,
    *,
    visibility: str = Pipeline.Visibility.TEAM,
    stages=SALES_STAGES,
    stall_threshold_days: int | None = None,
    forward_jumps: str = Pipeline.ForwardJumps.ALLOWED,
) -> Pipeline:
    """A pipeline with stages. Unlike a new pipeline of the app, it lets deals skip stages
    freely unless ``forward_jumps`` says strict: the tests of the other move rules
    (docs/hardening/forward-jumps.md) need no skipped stage's items in their way."""
    pipeline = Pipeline.objects.create(
        name=name or f"Pipeline {next(_seq)}", visibility=visibility, forward_jumps=forward_jumps
    )
    for position, (stage_name, probability) in enumerate(stages):
        Stage.objects.create(
            pipeline=pipeline,
            name=stage_name,
            position=position,
            probability=probability,
            stall_threshold_days=stall_threshold_days,
        )
    return pipeline


def make_item(stage: Stage, kind: str = ChecklistItem.Kind.EXIT, **fields) -> ChecklistItem:
    position = ChecklistItem.objects.filter(stage=stage, kind=kind).count()
    fields.setdefault("text", f"Item {next(_seq)}")
    return ChecklistItem.objects.create(stage=stage, kind=kind, position=position, **fields)


def make_deal(owner: User, pipeline: Pipeline, stage: Stage | None = None, **fields) -> Deal:
    stage = stage or pipeline.stages.order_by("position").first()
    fields.setdefault("title", f"Deal {next(_seq)}")
    fields.setdefault("value", Decimal("1000.00"))
    return deal_create(user=owner, pipeline=pipeline, stage=stage, owner=owner, **fields)


def reload(deal: Deal) -> Deal:
    """The deal as the database has it now."""
    return Deal.objects.get(pk=deal.pk)


def speaking(user: User, language: str) -> User:
    """``user``, saved with ``language`` as their own (docs/i18n.md)."""
    user.language = language
    user.save(update_fields=["language"])
    return user


def make_planned_activity(
    user: User, deal: Deal, *, subject: str = "Ring them", due_in=datetime.timedelta(hours=-1)
):
    """A call ``user`` scheduled on ``deal``, due ``due_in`` from now (overdue by default)."""
    return activity_log(
        user=user,
        deal=deal,
        kind="call",
        subject=subject,
        done=False,
        due_at=timezone.now() + due_in,
    )


def make_custom_field(
    name: str,
    type: str = CustomField.Type.TEXT,
    *,
    pipeline: Pipeline | None = None,
    options: tuple[str, ...] = (),
    **fields,
) -> CustomField:
    """A custom field (for every pipeline unless ``pipeline``), its options keyed by their
    lower-cased labels ("Acme" → "acme")."""
    fields.setdefault("key", name.lower().replace(" ", "_").replace("/", "_"))
    fields.setdefault("position", CustomField.objects.count())
    field = CustomField.objects.create(name=name, type=type, pipeline=pipeline, **fields)
    for position, label in enumerate(options):
        CustomFieldOption.objects.create(
            field=field, key=label.lower(), label=label, position=position
        )
    return field
