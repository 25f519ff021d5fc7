"""What the refused-move dialog completes before the move (docs/domain/moves.md)."""

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import User
from deals.checklist_rules import move_required_items
from deals.models import Deal
from deals.services.activities import activity_log
from deals.services.checklist import checklist_item_check
from deals.services.contacts import organization_get_or_create, person_get_or_create
from deals.services.editing import deal_update
from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import ChecklistItem, Stage

By = ChecklistItem.SatisfiedBy


def completable_items(*, deal: Deal, entering: Stage | None) -> list[ChecklistItem]:
    """The required items of this move (None: won) that the dialog completes by hand:
    manual items it ticks and custom-field items whose field it fills in; on a strict
    pipeline those of the skipped stages too (docs/hardening/forward-jumps.md). Nothing
    else can be ticked or filled in on the way. One query for the stage, one for the items."""
    from_stage = Stage.objects.select_related("pipeline").get(pk=deal.stage_id)
    required = move_required_items(
        from_stage=from_stage, to_stage=entering, forward_jumps=from_stage.pipeline.forward_jumps
    )
    return list(
        required.filter(satisfied_by__in=[By.MANUAL, By.CUSTOM_FIELD]).select_related(
            "stage", "custom_field"
        )
    )


def tickable_items(*, deal: Deal, entering: Stage | None) -> list[ChecklistItem]:
    """The manual items among ``completable_items``."""
    items = completable_items(deal=deal, entering=entering)
    return [item for item in items if item.satisfied_by == By.MANUAL]


def requirements_completer(
    *,
    user: User,
    check_item_ids: Iterable[int] = (),
    fields: dict | None = None,
    custom_fields: dict[str, Any] | None = None,
    organization_name: str = "",
    person_name: str = "",
    activity_kind: str = "",
    activity_subject: str = "",
) -> Callable[[Deal, Stage | None], None]:
    """Build the ``complete`` step that deal_move runs inside its own transaction; it is
    told the stage the deal is entering (None when it is being won). ``custom_fields``
    (Python values by field key) may name only the fields of the move's custom-field
    items; they are saved with the other fields, checked by the field's type."""

    def complete(deal: Deal, entering: Stage | None) -> None:
        changes = {name: value for name, value in (fields or {}).items() if value is not None}
        organization = organization_get_or_create(name=organization_name)
        if organization is not None:
            changes["organization"] = organization
        person = person_get_or_create(name=person_name, organization=organization)
        if person is not None:
            changes["person"] = person
        wanted = set(check_item_ids)
        # Decided under the move's locks, from where the deal really is now.
        items = completable_items(deal=deal, entering=entering) if wanted or custom_fields else []
        if custom_fields:
            fillable = {
                item.custom_field.key for item in items if item.satisfied_by == By.CUSTOM_FIELD
            }
            if not set(custom_fields) <= fillable:
                raise InvalidRequest(
                    _("Only the fields this move needs can be filled in here."),
                    field="custom_fields",
                )
            # A move to another pipeline may need a field of that pipeline: its entry
            # items are checked against the deal as it arrives (docs/domain/moves.md).
            changes["custom_fields"] = custom_fields
            changes["custom_fields_pipeline_id"] = entering.pipeline_id if entering else None
        if changes:
            deal = deal_update(user=user, deal=deal, version=None, **changes)
        if wanted:
            tickable = [
                item for item in items if item.satisfied_by == By.MANUAL and item.pk in wanted
            ]
            if len(tickable) != len(wanted):
                raise InvalidRequest(
                    _("Only the steps this move needs can be ticked here."), field="check"
                )
            for item in tickable:
                deal = checklist_item_check(user=user, deal=deal, item=item, entering=entering)
        if activity_kind and activity_subject:
            activity_log(user=user, deal=deal, kind=activity_kind, subject=activity_subject)

    return complete
