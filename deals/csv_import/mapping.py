"""The fields a CSV column can be mapped to, per kind of import, and the first guess of the
mapping from the header's names."""

import re
from dataclasses import dataclass

from deals.models import ImportJob


@dataclass(frozen=True)
class Target:
    """A field a CSV column can be mapped to."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    managers_only: bool = False
    # Not required when this other target is mapped (a file of updates by external id).
    unless: str = ""


DEAL_TARGETS = (
    Target(
        "title",
        "Title",
        ("title", "deal", "deal name", "deal title", "name"),
        required=True,
        help="Needed for new deals; a file of updates by external id may leave it out.",
        unless="external_id",
    ),
    Target(
        "value",
        "Value",
        ("value", "amount", "deal value", "price"),
        help="Amounts like 12500, 12,5k, €1.2m.",
    ),
    Target(
        "pipeline",
        "Pipeline",
        ("pipeline",),
        help="A pipeline's name; empty cells use the pipeline chosen below.",
    ),
    Target(
        "stage",
        "Stage",
        ("stage", "deal stage"),
        help="A stage's name; empty: the first stage (new deals) or unchanged (updates).",
    ),
    Target(
        "owner",
        "Owner",
        ("owner", "deal owner", "assigned to", "sales rep"),
        help="A username or email; empty: you.",
        managers_only=True,
    ),
    Target("organization", "Organization", ("organization", "organisation", "company")),
    Target("person", "Contact person", ("person", "contact", "contact person", "contact name")),
    Target("person_email", "Contact's email", ("person email", "email", "contact email")),
    Target(
        "expected_close_date",
        "Expected close date",
        ("expected close date", "close date", "expected close", "closing date"),
    ),
    Target(
        "external_id",
        "External id",
        ("external id", "external_id", "ext id", "reference"),
        help="A row whose external id exists updates that deal.",
    ),
    Target("status", "Status", ("status",), help="open, won or lost; empty: open/unchanged."),
    Target("lost_reason", "Lost reason", ("lost reason", "reason lost", "loss reason")),
)
ORGANIZATION_TARGETS = (
    Target("name", "Name", ("name", "organization", "organisation", "company"), True),
    Target("domain", "Domain", ("domain", "website", "web site", "url")),
)
PERSON_TARGETS = (
    Target("name", "Name", ("name", "person", "full name", "contact", "contact name"), True),
    Target("email", "Email", ("email", "e-mail", "email address")),
    Target("phone", "Phone", ("phone", "telephone", "mobile", "phone number")),
    Target("organization", "Organization", ("organization", "organisation", "company")),
)
TARGETS = {
    ImportJob.Kind.DEALS: DEAL_TARGETS,
    ImportJob.Kind.ORGANIZATIONS: ORGANIZATION_TARGETS,
    ImportJob.Kind.PEOPLE: PERSON_TARGETS,
}


def _normalised(header: str) -> str:
    return re.sub(r"[\s_\-]+", " ", header.strip().lower())


def guess_mapping(kind: str, header: list[str]) -> dict[str, int]:
    """Map each target to the first column whose name is one of its aliases."""
    columns = [_normalised(name) for name in header]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for target in TARGETS[kind]:
        for alias in target.aliases:
            index = next((i for i, c in enumerate(columns) if c == alias and i not in used), None)
            if index is not None:
                mapping[target.name] = index
                used.add(index)
                break
    return mapping
