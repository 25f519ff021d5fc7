"""Creating and editing deals (moves live in moves.py)."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from deals.models import Deal, DealEvent, Organization, Person, StageChange
from deals.selectors.external_ids import external_id_taken
from deals.services.custom_values import custom_values_merge
from deals.services.events import deal_event_record
from deals.services.positions import make_room
from pipelines.models import Pipeline, Stage
from pipelines.services import pipeline_mark_forecast_dirty, stages_lock


@transaction.atomic
def deal_create(
    *,
    user: User | None,
    title: str,
    pipeline: Pipeline,
    stage: Stage,
    owner: User,
    value: Decimal | None = None,
    organization: Organization | None = None,
    person: Person | None = None,
    expected_close_date: datetime.date | None = None,
    external_id: str | None = None,
    event_kind: str = DealEvent.Kind.CREATED,
    position: int | None = None,
    custom_fields: dict | None = None,
) -> Deal:
    """Create an open deal at the top of its column, with its first stage change and event.

    Creating needs no checklist: requirements apply to moves (docs/domain/imports.md).
    ``position`` (an index the caller got while holding the column's lock) places the deal
    elsewhere: the CSV import appends at the bottom, where nothing has to shift.
    ``custom_fields``: Python values by field key, checked against the pipeline's fields.
    """
    if stage.pipeline_id != pipeline.pk or stage.is_archived:
        raise ValidationError({"stage": _("Choose an active stage of this pipeline.")})
    if external_id and external_id_taken(owner=owner, external_id=external_id):
        # Unique per owner (docs/hardening/imports.md): the clash is with a deal of
        # ``owner``, whom the caller may create deals for and whose deals they may see.
        raise ValidationError(
            {
                "external_id": _("%(owner)s already has a deal with this external id.")
                % {"owner": owner.display_name}
            }
        )
    stored = {}
    if custom_fields:
        stored, _changes = custom_values_merge(
            pipeline_id=pipeline.pk, current={}, values=custom_fields
        )
    now = timezone.now()
    stages_lock(stage_ids=[stage.pk])
    position = 0 if position is None else position
    make_room(stage_id=stage.pk, position=position)
    deal = Deal(
        title=title,
        value=value,
        pipeline=pipeline,
        stage=stage,
        owner=owner,
        organization=organization,
        person=person,
        expected_close_date=expected_close_date,
        external_id=external_id or None,
        position=position,
        stage_entered_at=now,
        custom_fields=stored,
    )
    # Field validators and clean() (the stage belongs to the pipeline) explain mistakes in
    # a sentence. The related rows are instances the caller already holds and the check
    # constraints cannot fail for a new open deal that passed the field validators;
    # PostgreSQL enforces both anyway. Skipping their existence and
    # constraint queries (ten per deal) is what keeps a 10,000-row CSV import fast.
    deal.full_clean(
        exclude=[
            "position",
            "pipeline",
            "stage",
            "owner",
            "organization",
            "person",
            "custom_fields",
        ],
        validate_unique=False,
        validate_constraints=False,
    )
    deal.save()
    StageChange.objects.create(
        deal=deal, from_stage=None, to_stage=stage, user=user, changed_at=now
    )
    deal_event_record(deal=deal, kind=event_kind, user=user, data={"stage": stage.name}, at=now)
    pipeline_mark_forecast_dirty(pipeline_id=pipeline.pk)
    return deal
