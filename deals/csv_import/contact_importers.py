"""Organization and person rows of a CSV import: planned and applied by name and email."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from deals.csv_import.plans import Importer, Outcome, Plan
from deals.csv_import.values import lower
from deals.models import Organization, Person


class OrganizationImporter(Importer):
    def plan_rows(self, rows) -> list[Plan]:
        read = []
        for line, row in rows:
            cells = self.reader.start(row)
            read.append((line, cells, list(self.reader.errors)))
        self.contacts.load(
            organization_names={self.reader.text(c, "name") for _, c, _ in read if c} - {""},
            emails=set(),
            names=set(),
        )
        plans = []
        for line, cells, errors in read:
            plan = Plan(line=line, errors=errors)
            if cells is not None:
                self.reader.errors = []
                name = self.reader.text(cells, "name")
                plan.values = {"name": name, "domain": self.reader.text(cells, "domain")}
                plan.errors += self.reader.errors
                if not name:
                    plan.errors.append(_("The name is empty."))
                plan.existing = self.contacts.organizations.get(lower(name))
                if not plan.errors and plan.existing is None:
                    # A later row with the same name updates it (a placeholder in dry runs).
                    self.contacts.organizations[lower(name)] = Organization(name=name)
            plans.append(plan)
        return plans

    def prepare(self, plans: list[Plan]) -> None:
        # Placeholders of this batch are replaced by the rows ``apply`` creates.
        for key in [k for k, o in self.contacts.organizations.items() if o.pk is None]:
            del self.contacts.organizations[key]

    def apply(self, plan: Plan) -> Outcome:
        values = plan.values
        organization = self.contacts.organizations.get(lower(values["name"]))
        if organization is None:
            organization = Organization(name=values["name"], domain=values["domain"])
            organization.full_clean()
            organization.save()
            self.contacts.organizations[lower(values["name"])] = organization
            return Outcome(plan.line, "created", organization.pk, organization.name)
        if values["domain"] and values["domain"] != organization.domain:
            organization.domain = values["domain"]
            organization.full_clean()
            organization.save(update_fields=["domain"])
            return Outcome(plan.line, "updated", organization.pk, organization.name)
        return Outcome(plan.line, "unchanged", organization.pk, organization.name)


class PersonImporter(Importer):
    def plan_rows(self, rows) -> list[Plan]:
        read = []
        for line, row in rows:
            cells = self.reader.start(row)
            read.append((line, cells, list(self.reader.errors)))
        present = [c for _, c, _ in read if c is not None]
        self.contacts.load(
            organization_names={self.reader.text(c, "organization") for c in present} - {""},
            emails={self.reader.text(c, "email", 254) for c in present} - {""},
            names={self.reader.text(c, "name") for c in present} - {""},
        )
        plans = []
        for line, cells, errors in read:
            plan = Plan(line=line, errors=errors)
            if cells is not None:
                self.reader.errors = []
                values = {
                    "name": self.reader.text(cells, "name"),
                    "email": self.reader.text(cells, "email", 254),
                    "phone": self.reader.text(cells, "phone", 50),
                    "organization_name": self.reader.text(cells, "organization"),
                    "person_name": "",
                }
                plan.values = values
                plan.errors += self.reader.errors
                if not values["name"]:
                    plan.errors.append(_("The name is empty."))
                if values["email"]:
                    try:
                        validate_email(values["email"])
                    except ValidationError:
                        plan.errors.append(
                            _("“%(email)s” is not an email address.") % {"email": values["email"]}
                        )
                plan.existing = self.contacts.person(
                    name=values["name"],
                    email=values["email"],
                    organization=values["organization_name"],
                )
                if not plan.errors and plan.existing is None:
                    # A later row for the same person updates it (a placeholder in dry runs).
                    placeholder = Person(name=values["name"], email=values["email"])
                    self.contacts.remember(placeholder, values["organization_name"])
            plans.append(plan)
        return plans

    def prepare(self, plans: list[Plan]) -> None:
        for book in (self.contacts.people_by_email, self.contacts.people_by_name):
            for key in [k for k, p in book.items() if p.pk is None]:
                del book[key]
        self.contacts.create_missing(
            [
                Plan(line=p.line, values={"organization_name": p.values["organization_name"]})
                for p in plans
            ]
        )

    def apply(self, plan: Plan) -> Outcome:
        values = plan.values
        organization = self.contacts.organizations.get(lower(values["organization_name"]))
        person = self.contacts.person(
            name=values["name"], email=values["email"], organization=values["organization_name"]
        )
        if person is None:
            person = Person(
                name=values["name"],
                email=values["email"],
                phone=values["phone"],
                organization=organization,
            )
            person.full_clean()
            person.save()
            self.contacts.remember(person, values["organization_name"])
            return Outcome(plan.line, "created", person.pk, person.name)
        changes = {
            "email": values["email"],
            "phone": values["phone"],
            "organization": organization,
        }
        changes = {k: v for k, v in changes.items() if v and getattr(person, k) != v}
        if not changes:
            return Outcome(plan.line, "unchanged", person.pk, person.name)
        for name, value in changes.items():
            setattr(person, name, value)
        person.full_clean()
        person.save()
        return Outcome(plan.line, "updated", person.pk, person.name)
