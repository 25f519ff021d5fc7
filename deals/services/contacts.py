"""Organizations and people are shared by the whole
company (docs/domain/roles-and-visibility.md)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import ensure_admin
from deals.models import Deal, Organization, Person
from pipelinecrm.exceptions import InvalidRequest


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


@transaction.atomic
def person_save(*, person: Person, organization_name: str) -> Person:
    """Save a new or edited person with their organization named in words (found or
    created), together: a refused save leaves no new organization behind."""
    person.organization = organization_get_or_create(name=organization_name)
    person.save()
    return person


def _in_use_by(deals: int, people: int) -> str:
    """What still uses an organization, e.g. "2 deals and 1 person"."""
    deal_part = ngettext("%(count)s deal", "%(count)s deals", deals) % {"count": deals}
    people_part = ngettext("%(count)s person", "%(count)s people", people) % {"count": people}
    if deals and people:
        # Translators: e.g. "2 deals and 1 person"
        return _("%(deals)s and %(people)s") % {"deals": deal_part, "people": people_part}
    return deal_part if deals else people_part


@transaction.atomic
def organization_delete(*, user: User, organization: Organization) -> None:
    """Admins only, and only when nothing refers to it: deals and people would silently
    lose their organization otherwise (the foreign keys would set it to empty)."""
    ensure_admin(user, _("Only admins delete organizations and people."))
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    deals = Deal.objects.filter(organization=organization).count()
    people = Person.objects.filter(organization=organization).count()
    if deals or people:
        raise InvalidRequest(
            _("“%(name)s” is still used by %(used_by)s; link them to another organization first.")
            % {"name": organization.name, "used_by": _in_use_by(deals, people)}
        )
    organization.delete()


@transaction.atomic
def person_delete(*, user: User, person: Person) -> None:
    """Admins only, and only when no deal names the person as its contact."""
    ensure_admin(user, _("Only admins delete organizations and people."))
    Person.objects.select_for_update().filter(pk=person.pk).first()
    deals = Deal.objects.filter(person=person).count()
    if deals:
        raise InvalidRequest(
            ngettext(
                "“%(name)s” is the contact of %(count)s deal; "
                "choose another contact for them first.",
                "“%(name)s” is the contact of %(count)s deals; "
                "choose another contact for them first.",
                deals,
            )
            % {"name": person.name, "count": deals}
        )
    person.delete()
