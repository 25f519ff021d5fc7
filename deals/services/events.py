from typing import Any

from django.utils import timezone

from accounts.models import User
from deals.models import Deal, DealEvent


def deal_event_record(
    *, deal: Deal, kind: str, user: User | None, data: dict[str, Any] | None = None, at=None
) -> DealEvent:
    return DealEvent.objects.create(
        deal=deal, kind=kind, user=user, data=data or {}, created_at=at or timezone.now()
    )
