"""deal_move: the only code path that moves an existing deal (docs/domain/moves.md).

Board, API, CSV import updates, admin stage removal and tests all call it. Won, lost and
reopen live here too because they share its locking, checklist and bookkeeping. That makes
the module longer than the 400 lines we aim for; it is kept whole on purpose: the lock
order and the bookkeeping of every change of a deal's place can be read in one file, and
splitting it would export the private lock helpers to a second module.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from deals.access import can_override, edit_forbidden, ensure_can_edit, is_editable_by
from deals.checklist_rules import move_missing_items
from deals.models import Deal, DealEvent, LostReason, MoveRefusal, StageChange
from deals.services.events import deal_event_record
from deals.services.move_history import RowsUpdate, StageMove, move_history_record
from deals.services.placement import Placement
from deals.services.positions import close_gap, make_room
from pipelinecrm.exceptions import (
    ChecklistIncomplete,
    Forbidden,
    InvalidRequest,
    VersionConflict,
)
from pipelines.models import ChecklistItem, Pipeline, Stage
from pipelines.services import pipeline_mark_forecast_dirty


@dataclass(frozen=True)
class MoveResult:
    deal: Deal
    from_stage: Stage
    to_stage: Stage
    changed_stage: bool


def _locked_stages(stage_ids: set[int]) -> dict[int, Stage]:
    """Lock the columns involved (id order: no deadlocks).

    Every change of positions in a column holds its stage row, so two moves into one
    column cannot interleave their shifts.
    """
    stages = (
        Stage.objects.select_for_update(of=("self",))
        .select_related("pipeline")
        .filter(pk__in=stage_ids)
        .order_by("pk")
    )
    return {stage.pk: stage for stage in stages}


def _locked_deal(
    deal: Deal,
    version: int | None,
    *,
    count_open_in: int | None = None,
    neighbour_position: Subquery | None = None,
    editable_by: User | None = None,
) -> Deal:
    """Lock the deal and check the version; optionally count a column's open cards and
    read the position of the neighbour a card lands by (``neighbour_position``).

    The count (``open_count``) and the neighbour must come from this statement, issued
    once the columns are locked: a read in the statement that waited for a column lock
    would describe the column as it was before the wait, not as the move will find it.
    With ``editable_by`` the statement also answers whether that user may change the deal
    (``is_editable``, the rule of deals/access.py), so the check costs no statement.
    """
    rows = Deal.objects.select_for_update(of=("self",))
    if editable_by is not None:
        rows = rows.annotate(is_editable=is_editable_by(editable_by))
    if neighbour_position is not None:
        rows = rows.annotate(neighbour_position=neighbour_position)
    if count_open_in is not None:
        # Open cards are numbered 0..n-1 per column and only open deals have a position
        # (docs/domain/moves.md), so the count is the last position + 1: one step down the
        # (stage, position) index, where counting read every open deal of the column, every
        # team's (docs/performance/move-request.md).
        last = (
            Deal.objects.filter(stage_id=count_open_in, position__isnull=False)
            .order_by("-position")
            .values("position")[:1]
        )
        rows = rows.annotate(open_count=Coalesce(Subquery(last) + 1, 0))
    fresh = rows.get(pk=deal.pk)
    if version is not None and fresh.version != version:
        raise VersionConflict(current_version=fresh.version)
    return fresh


def _check_requirements(
    *,
    user: User,
    deal: Deal,
    missing: list[ChecklistItem],
    override_reason: str,
) -> list[ChecklistItem]:
    """Raise unless nothing is missing or an allowed user overrides with a reason."""
    if not missing:
        return []
    if not override_reason.strip():
        raise ChecklistIncomplete(missing)
    if not can_override(user, deal):
        raise Forbidden(
            _("Only a manager of the owner's team or an admin can override checklist items.")
        )
    return missing


def _column(name: str):
    """The model field behind a column name (``stage_id`` is the stage's key)."""
    field = Deal._meta.get_field(name.removesuffix("_id"))
    return field.target_field if field.is_relation else field


def _move_rows(*, deal: Deal, to_stage: Stage, to_position: int, now) -> RowsUpdate:
    """Place the card and shift its neighbours in one UPDATE (docs/domain/moves.md),
    returned unsent: a move between stages sends it with its history.

    The cards below the place it leaves move up, those from its landing place down; the
    card itself takes its index, a new version and, between columns, its new stage. One
    statement rather than three: the (stage, position) constraint is deferred, so the
    statement never collides with itself.
    """
    from_stage_id, from_position = deal.stage_id, deal.position
    is_card = Q(pk=deal.pk)
    if from_stage_id == to_stage.pk:
        if to_position < from_position:
            shifted = Q(position__gte=to_position, position__lt=from_position)
            delta = 1
        else:
            shifted = Q(position__gt=from_position, position__lte=to_position)
            delta = -1
        shifted &= Q(stage_id=from_stage_id)
        shifts = [When(shifted, then=F("position") + delta)]
    else:
        leaving = Q(stage_id=from_stage_id, position__gt=from_position)
        arriving = Q(stage_id=to_stage.pk, position__gte=to_position)
        shifted = leaving | arriving
        shifts = [When(leaving, then=F("position") - 1), When(arriving, then=F("position") + 1)]
    card_only = {"version": F("version") + 1, "updated_at": now}
    if from_stage_id != to_stage.pk:
        card_only |= {
            "stage_id": to_stage.pk,
            "pipeline_id": to_stage.pipeline_id,
            "stage_entered_at": now,
            "is_stalled": False,
            "stalled_since": None,
        }
    changes = {
        name: Case(When(is_card, then=value), default=F(name), output_field=_column(name))
        for name, value in card_only.items()
    }
    changes["position"] = Case(
        When(is_card, then=Value(to_position)),
        *shifts,
        default=F("position"),
        output_field=_column("position"),
    )
    moving_rows = is_card | (shifted & Q(status=Deal.Status.OPEN) & ~is_card)
    return RowsUpdate(rows=Deal.objects.filter(moving_rows), changes=changes)


def deal_move(
    *,
    user: User,
    deal: Deal,
    stage: Stage | int,
    version: int | None,
    position: int | None = None,
    before: int | None = None,
    after: int | None = None,
    pipeline: Pipeline | int | None = None,
    override_reason: str = "",
    complete: Callable[[Deal, Stage | None], None] | None = None,
) -> MoveResult:
    """Move ``deal`` to index ``position`` of ``stage`` (top of the column by default).

    Instead of an index the caller may name a neighbour: ``before`` is the id of the open
    deal the card lands above, ``after`` the one it lands below (at most one of the three).
    The neighbour becomes an index under the column locks, so it describes the column as
    the move finds it (docs/deal-actions.md).

    ``complete(deal, target_stage)`` runs inside the move's transaction, after the lock and
    version check and before the checklist is evaluated: the refused-move dialog ticks
    items, fills fields or logs an activity through it, so completing and moving is one
    step that succeeds or leaves nothing behind. A refused move raises and changes
    nothing; a refusal for missing checklist items is recorded afterwards in its own
    transaction (docs/domain/moves.md).
    """
    stage_id = stage if isinstance(stage, int) else stage.pk
    try:
        with transaction.atomic():
            return _deal_move(
                user=user,
                deal=deal,
                stage_id=stage_id,
                version=version,
                placement=Placement(position=position, before=before, after=after),
                pipeline_id=pipeline if isinstance(pipeline, int | None) else pipeline.pk,
                override_reason=override_reason,
                complete=complete,
            )
    except ChecklistIncomplete as refusal:
        _record_refusal(user=user, deal=deal, to_stage_id=stage_id, missing=refusal.missing)
        raise


def _record_refusal(
    *, user: User, deal: Deal, to_stage_id: int, missing: list[ChecklistItem]
) -> None:
    with transaction.atomic():
        refusal = MoveRefusal.objects.create(
            deal_id=deal.pk, user=user, from_stage_id=deal.stage_id, to_stage_id=to_stage_id
        )
        refusal.missing_items.set(missing)


def _deal_move(
    *,
    user: User,
    deal: Deal,
    stage_id: int,
    version: int | None,
    placement: Placement,
    pipeline_id: int | None,
    override_reason: str,
    complete: Callable[[Deal, Stage | None], None] | None,
) -> MoveResult:
    # 1. Lock the two columns, then the deal (counting the target's cards, reading the
    #    neighbour and whether the user may edit it); check the version.
    stages = _locked_stages({deal.stage_id, stage_id})
    if stage_id not in stages:
        raise InvalidRequest(_("That stage does not exist."), field="stage")
    fresh = _locked_deal(
        deal,
        version,
        count_open_in=stage_id,
        neighbour_position=placement.neighbour_position(user=user, deal=deal, stage_id=stage_id),
        editable_by=user,
    )
    if not fresh.is_editable:
        raise edit_forbidden("move")
    if fresh.status != Deal.Status.OPEN:
        raise InvalidRequest(_("Only open deals move between stages; reopen it first."))
    if fresh.stage_id != deal.stage_id:
        # Moved by someone else between our read and our lock (only without a version).
        stages = _locked_stages({fresh.stage_id, stage_id})
    from_stage, to_stage = stages[fresh.stage_id], stages[stage_id]

    # 2. The target must be an active stage of the deal's pipeline, or of the named one.
    changes_pipeline = pipeline_id is not None and pipeline_id != fresh.pipeline_id
    if to_stage.is_archived:
        raise InvalidRequest(_("That stage is archived."), field="stage")
    if changes_pipeline and to_stage.pipeline_id != pipeline_id:
        raise InvalidRequest(_("That stage belongs to another pipeline."), field="stage")
    if not changes_pipeline and to_stage.pipeline_id != fresh.pipeline_id:
        raise InvalidRequest(
            _("That stage belongs to another pipeline; name the pipeline to move the deal there."),
            field="stage",
        )
    if changes_pipeline and not to_stage.pipeline.is_active:
        raise InvalidRequest(_("That pipeline is archived."), field="pipeline")

    # 3. The index among all open cards of the target column, top by default.
    same_stage = to_stage.pk == from_stage.pk
    last_index = fresh.open_count - 1 if same_stage else fresh.open_count
    target_position = placement.index(
        deal=fresh,
        stage_id=to_stage.pk,
        neighbour_position=getattr(fresh, "neighbour_position", None),
    )
    if target_position < 0 or target_position > last_index:
        raise InvalidRequest(
            _("Position %(position)s is outside this column (0–%(last)s).")
            % {"position": target_position, "last": last_index},
            field="position",
        )

    if complete is not None:
        complete(fresh, to_stage)
        fresh = Deal.objects.get(pk=fresh.pk)

    # 4. Checklists: reorders and backward moves need nothing; forward moves need the exit
    #    items of the current stage and the entry items of the target, and on a strict
    #    pipeline those of the stages skipped; a move to another pipeline needs the target's
    #    entry items only.
    missing = move_missing_items(
        deal=fresh,
        from_stage=from_stage,
        to_stage=to_stage,
        forward_jumps=from_stage.pipeline.forward_jumps,
    )
    overridden = _check_requirements(
        user=user,
        deal=fresh,
        missing=missing,
        override_reason=override_reason,
    )

    # 5. Apply: positions, the deal, its history — all in this transaction (docs/domain/moves.md).
    now = timezone.now()
    placement = _move_rows(deal=fresh, to_stage=to_stage, to_position=target_position, now=now)
    time_in_from_stage = now - fresh.stage_entered_at
    fresh.position, fresh.updated_at, fresh.version = target_position, now, fresh.version + 1
    # The deal as the move left it, with its (locked) stage and pipeline: callers answer
    # from it without reading it again (docs/performance/move-request.md).
    fresh.stage, fresh.pipeline = to_stage, to_stage.pipeline
    if not same_stage:
        fresh.stage_entered_at, fresh.is_stalled, fresh.stalled_since = now, False, None

    if same_stage:
        placement.send()
    else:
        move_history_record(
            placement,
            StageMove(
                deal=fresh,
                from_stage=from_stage,
                to_stage=to_stage,
                user=user,
                at=now,
                time_in_from_stage=time_in_from_stage,
                override_reason=override_reason.strip() if overridden else "",
                overridden=overridden,
                event_data={
                    "from": from_stage.name,
                    "to": to_stage.name,
                    **({"pipeline": to_stage.pipeline.name} if changes_pipeline else {}),
                    **({"override_reason": override_reason.strip()} if overridden else {}),
                },
            ),
        )
    return MoveResult(
        deal=fresh, from_stage=from_stage, to_stage=to_stage, changed_stage=not same_stage
    )


def _close(
    *,
    user: User,
    deal: Deal,
    version: int | None,
    status: str,
    event_kind: str,
    event_data: dict,
    override_reason: str = "",
    lost_reason: LostReason | None = None,
    lost_note: str = "",
    complete: Callable[[Deal, Stage | None], None] | None = None,
) -> Deal:
    stages = _locked_stages({deal.stage_id})
    fresh = _locked_deal(deal, version)
    ensure_can_edit(user, fresh)
    if fresh.status != Deal.Status.OPEN:
        already = _("This deal is already won.") if fresh.status == Deal.Status.WON else None
        raise InvalidRequest(already or _("This deal is already lost."))
    if complete is not None:
        complete(fresh, None)
        fresh = Deal.objects.get(pk=fresh.pk)
    if fresh.stage_id not in stages:
        # Moved by someone else between our read and our lock (only without a version):
        # the gap closes in the column it is really in, so that column is the one to hold.
        stages = _locked_stages({fresh.stage_id})
    stage = stages[fresh.stage_id]
    overridden: list[ChecklistItem] = []
    if status == Deal.Status.WON:
        # Winning needs the current stage's required exit items, and on a strict pipeline
        # those of every later stage (docs/domain/moves.md).
        missing = move_missing_items(
            deal=fresh,
            from_stage=stage,
            to_stage=None,
            forward_jumps=stage.pipeline.forward_jumps,
        )
        overridden = _check_requirements(
            user=user,
            deal=fresh,
            missing=missing,
            override_reason=override_reason,
        )
    now = timezone.now()
    close_gap(stage_id=fresh.stage_id, position=fresh.position)
    Deal.objects.filter(pk=fresh.pk).update(
        status=status,
        closed_at=now,
        position=None,
        lost_reason=lost_reason,
        lost_note=lost_note,
        is_stalled=False,
        stalled_since=None,
        version=F("version") + 1,
        updated_at=now,
    )
    fresh.status, fresh.closed_at, fresh.position = status, now, None
    fresh.lost_reason, fresh.lost_note = lost_reason, lost_note
    fresh.is_stalled, fresh.stalled_since = False, None
    fresh.version += 1
    event_data = {"stage": stage.name, **event_data}
    if overridden:
        event_data["override_reason"] = override_reason.strip()
        event_data["overridden_items"] = [item.text for item in overridden]
    deal_event_record(deal=fresh, kind=event_kind, user=user, at=now, data=event_data)
    pipeline_mark_forecast_dirty(pipeline_id=fresh.pipeline_id)
    return fresh


def deal_mark_won(
    *,
    user: User,
    deal: Deal,
    version: int | None,
    override_reason: str = "",
    complete: Callable[[Deal, Stage | None], None] | None = None,
) -> Deal:
    """Won needs the current stage's required exit items (on a strict pipeline, also those
    of every later stage); ``complete`` as in deal_move."""
    try:
        with transaction.atomic():
            return _close(
                user=user,
                deal=deal,
                version=version,
                status=Deal.Status.WON,
                event_kind=DealEvent.Kind.WON,
                event_data={},
                override_reason=override_reason,
                complete=complete,
            )
    except ChecklistIncomplete as refusal:
        _record_refusal(user=user, deal=deal, to_stage_id=deal.stage_id, missing=refusal.missing)
        raise


@transaction.atomic
def deal_mark_lost(
    *,
    user: User,
    deal: Deal,
    version: int | None,
    reason: LostReason | None,
    note: str = "",
) -> Deal:
    if reason is None:
        raise InvalidRequest(_("Choose why the deal was lost."), field="reason")
    if not reason.is_active:
        raise InvalidRequest(_("That lost reason is no longer offered."), field="reason")
    return _close(
        user=user,
        deal=deal,
        version=version,
        status=Deal.Status.LOST,
        event_kind=DealEvent.Kind.LOST,
        event_data={"reason": reason.name, "note": note},
        lost_reason=reason,
        lost_note=note,
    )


@transaction.atomic
def deal_reopen(*, user: User, deal: Deal, version: int | None) -> Deal:
    """Back to its last stage, top of the column; no checklist applies (docs/domain/moves.md).

    If that stage was archived meanwhile, the deal reopens in the pipeline's first
    active stage (docs/domain/admin-pages.md).
    """
    target = Stage.objects.filter(pk=deal.stage_id, is_archived=False).first()
    if target is None:
        target = (
            Stage.objects.filter(pipeline_id=deal.pipeline_id, is_archived=False)
            .order_by("position")
            .first()
        )
    if target is None:
        raise InvalidRequest(_("This pipeline has no active stage to reopen the deal in."))
    _locked_stages({target.pk})
    fresh = _locked_deal(deal, version)
    ensure_can_edit(user, fresh, "reopen")
    if fresh.status == Deal.Status.OPEN:
        raise InvalidRequest(_("This deal is already open."))
    now = timezone.now()
    make_room(stage_id=target.pk, position=0)
    previous_stage_id = fresh.stage_id
    Deal.objects.filter(pk=fresh.pk).update(
        status=Deal.Status.OPEN,
        stage=target,
        position=0,
        closed_at=None,
        lost_reason=None,
        lost_note="",
        stage_entered_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    StageChange.objects.create(
        deal=fresh,
        from_stage_id=previous_stage_id,
        to_stage=target,
        user=user,
        changed_at=now,
        # The deal worked its stage until it closed; the time since is not time in stage.
        time_in_from_stage=fresh.closed_at - fresh.stage_entered_at,
    )
    deal_event_record(
        deal=fresh,
        kind=DealEvent.Kind.REOPENED,
        user=user,
        at=now,
        data={"stage": target.name, "was": fresh.status},
    )
    pipeline_mark_forecast_dirty(pipeline_id=fresh.pipeline_id)
    fresh.refresh_from_db()
    return fresh
