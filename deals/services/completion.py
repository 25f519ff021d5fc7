"""What the refused-move dialog completes before the move (docs/domain/moves.md)."""

from collections.abc import Callable, Iterable

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


def tickable_items(*, deal: Deal, entering: Stage | None) -> list[ChecklistItem]:
    """The manual items the dialog of this move (None: won) may tick: the required ones
    the move needs, on a strict pipeline those of the skipped stages too
    (docs/hardening/forward-jumps.md). Nothing else can be ticked on the way."""
    from_stage = Stage.objects.select_related("pipeline").get(pk=deal.stage_id)
    required = move_required_items(
        from_stage=from_stage, to_stage=entering, forward_jumps=from_stage.pipeline.forward_jumps
    )
    return list(
        required.filter(satisfied_by=ChecklistItem.SatisfiedBy.MANUAL).select_related("stage")
    )


def requirements_completer(
    *,
    user: User,
    check_item_ids: Iterable[int] = (),
    fields: dict | None = None,
    organization_name: str = "",
    person_name: str = "",
    activity_kind: str = "",
    activity_subject: str = "",
) -> Callable[[Deal, Stage | None], None]:
    """Build the ``complete`` step that deal_move runs inside its own transaction; it is
    told the stage the deal is entering (None when it is being won)."""

    def complete(deal: Deal, entering: Stage | None) -> None:
        changes = {name: value for name, value in (fields or {}).items() if value is not None}
        organization = organization_get_or_create(name=organization_name)
        if organization is not None:
            changes["organization"] = organization
        person = person_get_or_create(name=person_name, organization=organization)
        if person is not None:
            changes["person"] = person
        if changes:
            deal = deal_update(user=user, deal=deal, version=None, **changes)
        wanted = set(check_item_ids)
        if wanted:
            # Decided under the move's locks, from where the deal really is now.
            items = [
                item for item in tickable_items(deal=deal, entering=entering) if item.pk in wanted
            ]
            if len(items) != len(wanted):
                raise InvalidRequest(
                    _("Only the steps this move needs can be ticked here."), field="check"
                )
            for item in items:
                deal = checklist_item_check(user=user, deal=deal, item=item, entering=entering)
        if activity_kind and activity_subject:
            activity_log(user=user, deal=deal, kind=activity_kind, subject=activity_subject)

    return complete
