"""The organizations and people a CSV import finds or makes, looked up once per batch."""

from typing import TYPE_CHECKING

from django.db.models.functions import Lower

from deals.csv_import.values import lower
from deals.models import Organization, Person

if TYPE_CHECKING:
    from deals.csv_import.plans import Plan


class ContactBook:
    """Organizations found or made by name, people by email, else by name *and*
    organization (never by name alone: two Anna Schmidts at different organizations, or one
    without organization, are two people). Names match case-insensitively and the oldest
    row wins, as the services do."""

    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}
        self.people_by_email: dict[str, Person] = {}
        # (name, organization name or "") → person
        self.people_by_name: dict[tuple[str, str], Person] = {}
        self.loaded_names: set[str] = set()

    def load(self, *, organization_names: set[str], emails: set[str], names: set[str]) -> None:
        wanted = {lower(n) for n in organization_names} - self.organizations.keys()
        if wanted:
            for organization in (
                Organization.objects.annotate(key=Lower("name"))
                .filter(key__in=wanted)
                .order_by("-pk")
            ):
                self.organizations[organization.key] = organization
        emails = {lower(e) for e in emails} - self.people_by_email.keys()
        names = {lower(n) for n in names} - self.loaded_names
        self.loaded_names |= names
        if emails or names:
            people = Person.objects.annotate(
                email_key=Lower("email"), name_key=Lower("name")
            ).select_related("organization")
            for person in people.filter(email_key__in=emails).order_by("-pk"):
                self.people_by_email[person.email_key] = person
            for person in people.filter(name_key__in=names).order_by("-pk"):
                self.people_by_name[self._name_key(person.name, person.organization)] = person

    @staticmethod
    def _name_key(name: str, organization: Organization | str | None) -> tuple[str, str]:
        if isinstance(organization, Organization):
            organization = organization.name
        return (lower(name), lower(organization or ""))

    def person(self, *, name: str, email: str, organization: str = "") -> Person | None:
        if email and lower(email) in self.people_by_email:
            return self.people_by_email[lower(email)]
        return self.people_by_name.get(self._name_key(name, organization)) if name else None

    def remember(self, person: Person, organization: str = "") -> None:
        if person.email:
            self.people_by_email[lower(person.email)] = person
        self.people_by_name.setdefault(self._name_key(person.name, organization), person)

    def create_missing(self, plans: "list[Plan]") -> None:
        """Create, in two statements, the organizations and people the plans name."""
        new_orgs: dict[str, Organization] = {}
        for plan in plans:
            name = plan.values.get("organization_name", "")
            if name and lower(name) not in self.organizations:
                new_orgs.setdefault(lower(name), Organization(name=name))
        for organization in Organization.objects.bulk_create(new_orgs.values()):
            self.organizations[lower(organization.name)] = organization
        new_people: dict[object, tuple[Person, str]] = {}
        for plan in plans:
            name = plan.values.get("person_name", "")
            email = plan.values.get("person_email", "")
            organization_name = plan.values.get("organization_name", "")
            if not name or self.person(name=name, email=email, organization=organization_name):
                continue
            key = lower(email) or self._name_key(name, organization_name)
            organization = self.organizations.get(lower(organization_name))
            new_people.setdefault(
                key,
                (Person(name=name, email=email, organization=organization), organization_name),
            )
        Person.objects.bulk_create([person for person, _ in new_people.values()])
        for person, organization_name in new_people.values():
            self.remember(person, organization_name)
