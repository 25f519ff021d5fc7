"""Ticking and unticking manual checklist items; the rules they follow are in
deals/checklist_rules.py.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from deals.access import ensure_can_edit
from deals.models import ChecklistCheck, Deal, DealEvent
from deals.services.events import deal_event_record
from deals.services.versions import deal_bump_version
from pipelinecrm.exceptions import InvalidRequest
from pipelines.models import ChecklistItem, Stage

# Why an automatic item cannot be ticked, and what to do instead.
AUTOMATIC = {
    ChecklistItem.SatisfiedBy.FIELD: gettext_lazy(
        "This item is checked automatically: fill in the deal field it names."
    ),
    ChecklistItem.SatisfiedBy.CUSTOM_FIELD: gettext_lazy(
        "This item is checked automatically: fill in the custom field it names."
    ),
    ChecklistItem.SatisfiedBy.ACTIVITY: gettext_lazy(
        "This item is checked automatically: log the activity it names."
    ),
}


def _manual_item_for(deal: Deal, item: ChecklistItem, entering: Stage | None = None) -> None:
    """A manual, active item of the deal's pipeline, or an entry item of the stage the deal
    is entering: a move to another pipeline ticks the target's entry items first
    (docs/domain/moves.md)."""
    entry_of_target = (
        entering is not None and item.stage_id == entering.pk and item.kind == item.Kind.ENTRY
    )
    if (item.stage.pipeline_id != deal.pipeline_id and not entry_of_target) or item.is_archived:
        raise InvalidRequest(_("This checklist item does not belong to the deal's pipeline."))
    if item.satisfied_by != ChecklistItem.SatisfiedBy.MANUAL:
        raise InvalidRequest(str(AUTOMATIC[item.satisfied_by]))


@transaction.atomic
def checklist_item_check(
    *,
    user: User,
    deal: Deal,
    item: ChecklistItem,
    version: int | None = None,
    entering: Stage | None = None,
) -> Deal:
    """Tick a manual item (of the deal's pipeline, or an entry item of ``entering``, the
    stage a move is taking it to). Ticking a ticked item changes nothing (safe to retry)."""
    ensure_can_edit(user, deal)
    _manual_item_for(deal, item, entering)
    # The insert decides, not a prior read: of two identical ticks at once (a double
    # click sends no version) the second finds the first's row and changes nothing.
    now = timezone.now()
    _check, created = ChecklistCheck.objects.get_or_create(
        deal=deal, item=item, defaults={"checked_by": user, "checked_at": now}
    )
    if not created:
        return deal
    return _record_tick(deal, item, user, version, DealEvent.Kind.CHECKLIST_TICKED)


@transaction.atomic
def checklist_item_uncheck(
    *, user: User, deal: Deal, item: ChecklistItem, version: int | None = None
) -> Deal:
    """Untick a manual item. Unticking an unticked item changes nothing."""
    ensure_can_edit(user, deal)
    _manual_item_for(deal, item)
    # As for ticking: the delete decides, so two identical unticks apply once.
    deleted, _rows = ChecklistCheck.objects.filter(deal=deal, item=item).delete()
    if not deleted:
        return deal
    return _record_tick(deal, item, user, version, DealEvent.Kind.CHECKLIST_UNTICKED)


def _record_tick(deal: Deal, item: ChecklistItem, user: User, version, kind: str) -> Deal:
    """A tick or untick is a user write: bump the version and put it on the timeline."""
    deal = deal_bump_version(deal=deal, version=version)
    # The ids too, for webhooks (docs/domain/webhooks.md); the timeline shows the names.
    data = {
        "item": item.text,
        "stage": item.stage.name,
        "item_id": item.pk,
        "stage_id": item.stage_id,
    }
    deal_event_record(deal=deal, kind=kind, user=user, data=data)
    return deal
