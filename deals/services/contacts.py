"""Organizations and people are shared by the whole company (PRODUCT.md §1)."""

from deals.models import Organization, Person


def organization_get_or_create(*, name: str) -> Organization | None:
    """The organization with this name (case-insensitive), created if new."""
    name = name.strip()
    if not name:
        return None
    existing = Organization.objects.filter(name__iexact=name).order_by("pk").first()
    return existing or Organization.objects.create(name=name)


def person_get_or_create(*, name: str, organization: Organization | None) -> Person | None:
    name = name.strip()
    if not name:
        return None
    existing = Person.objects.filter(name__iexact=name).order_by("pk").first()
    return existing or Person.objects.create(name=name, organization=organization)
