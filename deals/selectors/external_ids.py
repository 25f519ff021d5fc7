"""Whether an external id is taken: the services that create and edit deals ask."""

from accounts.models import User
from deals.models import Deal


def external_id_taken(*, owner: User, external_id: str) -> bool:
    """External ids are unique per owner (docs/hardening/imports.md)."""
    return Deal.objects.filter(owner=owner, external_id=external_id).exists()
