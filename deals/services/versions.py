"""Optimistic concurrency on Deal.version (docs/domain/moves.md)."""

from django.db.models import F
from django.utils import timezone

from deals.models import Deal
from pipelinecrm.exceptions import VersionConflict


def deal_bump_version(*, deal: Deal, version: int | None, **changes) -> Deal:
    """Apply ``changes`` and bump the version by compare-and-swap.

    With ``version`` the write happens only if nobody changed the deal since the caller
    read it; without it (actions whose callers send no version) it always applies.
    Returns ``deal`` with the new values set.
    """
    now = timezone.now()
    rows = Deal.objects.filter(pk=deal.pk)
    if version is not None:
        rows = rows.filter(version=version)
    updated = rows.update(version=F("version") + 1, updated_at=now, **changes)
    if not updated:
        current = Deal.objects.filter(pk=deal.pk).values_list("version", flat=True).first()
        raise VersionConflict(current_version=current or 0)
    if version is None:
        deal.version = Deal.objects.filter(pk=deal.pk).values_list("version", flat=True).get()
    else:
        deal.version = version + 1
    deal.updated_at = now
    for name, value in changes.items():
        setattr(deal, name, value)
    return deal
