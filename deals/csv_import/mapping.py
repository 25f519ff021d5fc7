"""The fields a CSV column can be mapped to, per kind of import, and the first guess of the
mapping from the header's names: English, German and Dutch names, and each field's label in
every language the product speaks (so a German export imports back as it is).

A deals import also offers every active custom field (``cf_<key>``), guessed from a header
that is the field's name or its key (docs/domain/custom-fields.md, "Lists, filters, CSV").
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from deals.models import ImportJob
from pipelines.models import CustomField, Pipeline
from pipelines.selectors import custom_fields_for

CUSTOM_PREFIX = "cf_"


@dataclass(frozen=True)
class Target:
    """A field a CSV column can be mapped to."""

    name: str
    label: str | Promise
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str | Promise = ""
    managers_only: bool = False
    # Not required when this other target is mapped (a file of updates by external id).
    unless: str = ""
    # The custom field a ``cf_<key>`` target fills.
    custom_field: CustomField | None = field(default=None, compare=False)


ORGANIZATION_ALIASES = ("organization", "organisation", "company")
ORGANIZATION_ALIASES += ("firma", "unternehmen", "organisatie", "bedrijf")

DEAL_TARGETS = (
    Target(
        "title",
        _("Title"),
        ("title", "deal", "deal name", "deal title", "name", "titel", "dealname", "naam"),
        required=True,
        help=_("Needed for new deals; a file of updates by external id may leave it out."),
        unless="external_id",
    ),
    Target(
        "value",
        _("Value"),
        (
            "value",
            "amount",
            "deal value",
            "price",
            "wert",
            "betrag",
            "preis",
            "waarde",
            "bedrag",
            "prijs",
        ),
        help=_("Amounts like 12500, 12,5k, €1.2m, 12.500,00 €."),
    ),
    Target(
        "pipeline",
        _("Pipeline"),
        ("pipeline", "pijplijn"),
        help=_("A pipeline's name; empty cells use the pipeline chosen below."),
    ),
    Target(
        "stage",
        _("Stage"),
        ("stage", "deal stage", "phase", "fase"),
        help=_("A stage's name; empty: the first stage (new deals) or unchanged (updates)."),
    ),
    Target(
        "owner",
        _("Owner"),
        (
            "owner",
            "deal owner",
            "assigned to",
            "sales rep",
            "inhaber",
            "verantwortlich",
            "verantwortliche",
            "verantwortlicher",
            "eigenaar",
        ),
        help=_("A username or email; empty: you."),
        managers_only=True,
    ),
    Target("organization", _("Organization"), ORGANIZATION_ALIASES),
    Target(
        "person",
        _("Contact person"),
        (
            "person",
            "contact",
            "contact person",
            "contact name",
            "persoon",
            "kontakt",
            "ansprechpartner",
            "kontaktperson",
            "contactpersoon",
        ),
    ),
    Target(
        "person_email",
        _("Contact's email"),
        (
            "person email",
            "email",
            "contact email",
            "e mail",
            "person e mail",
            "persoon e mail",
            "e mail adresse",
            "e mailadres",
        ),
    ),
    Target(
        "expected_close_date",
        _("Expected close date"),
        (
            "expected close date",
            "close date",
            "expected close",
            "closing date",
            "abschlussdatum",
            "erwartetes abschlussdatum",
            "sluitingsdatum",
            "verwachte sluitingsdatum",
        ),
    ),
    Target(
        "external_id",
        _("External id"),
        (
            "external id",
            "external_id",
            "ext id",
            "reference",
            "externe id",
            "referenz",
            "referentie",
        ),
        help=_("A row whose external id exists updates that deal."),
    ),
    Target(
        "status",
        _("Status"),
        ("status",),
        help=_("open, won or lost; empty: open/unchanged."),
    ),
    Target(
        "lost_reason",
        _("Lost reason"),
        ("lost reason", "reason lost", "loss reason", "verlustgrund", "reden van verlies"),
    ),
)
ORGANIZATION_TARGETS = (
    Target("name", _("Name"), ("name", "naam", *ORGANIZATION_ALIASES), True),
    Target("domain", _("Domain"), ("domain", "website", "web site", "url", "domäne", "webseite")),
)
PERSON_TARGETS = (
    Target(
        "name",
        _("Name"),
        ("name", "person", "full name", "contact", "contact name", "naam", "persoon"),
        True,
    ),
    Target(
        "email", _("Email"), ("email", "e mail", "email address", "e mail adresse", "e mailadres")
    ),
    Target(
        "phone",
        _("Phone"),
        (
            "phone",
            "telephone",
            "mobile",
            "phone number",
            "telefon",
            "telefonnummer",
            "mobil",
            "telefoon",
            "telefoonnummer",
            "mobiel",
        ),
    ),
    Target("organization", _("Organization"), ORGANIZATION_ALIASES),
)
TARGETS = {
    ImportJob.Kind.DEALS: DEAL_TARGETS,
    ImportJob.Kind.ORGANIZATIONS: ORGANIZATION_TARGETS,
    ImportJob.Kind.PEOPLE: PERSON_TARGETS,
}


def custom_targets(fields: list[CustomField] | None = None) -> tuple[Target, ...]:
    """A target per active custom field (``fields``: every pipeline's by default, one
    query), named ``cf_<key>``; its help says the type, and the pipeline when it has one."""
    fields = custom_fields_for(None) if fields is None else fields
    pipelines = {}
    if any(custom.pipeline_id for custom in fields):
        pipelines = dict(Pipeline.objects.values_list("pk", "name"))
    targets = []
    for custom in fields:
        help_text = custom.get_type_display()
        if custom.pipeline_id:
            help_text = _("%(type)s; on the deals of %(pipeline)s only") % {
                "type": help_text,
                "pipeline": pipelines.get(custom.pipeline_id, ""),
            }
        targets.append(
            Target(
                f"{CUSTOM_PREFIX}{custom.key}",
                custom.name,
                (_normalised(custom.name), _normalised(custom.key)),
                help=help_text,
                custom_field=custom,
            )
        )
    return tuple(targets)


def targets_of(kind: str) -> tuple[Target, ...]:
    """What a column of this kind of import can be mapped to: custom fields last."""
    return TARGETS[kind] + (custom_targets() if kind == ImportJob.Kind.DEALS else ())


def _normalised(header: str) -> str:
    return re.sub(r"[\s_\-]+", " ", header.strip().lower())


def _names_of(target: Target) -> list[str]:
    """A target's aliases, then its label in each language (English first)."""
    names = list(target.aliases)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.append(_normalised(str(target.label)))
    return list(dict.fromkeys(names))


def guess_mapping(kind: str, header: list[str]) -> dict[str, int]:
    """Map each target to the first column whose name is one of its names (aliases in
    English, German and Dutch, or its label in any language; a custom field's name or
    key)."""
    columns = [_normalised(name) for name in header]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for target in targets_of(kind):
        for alias in _names_of(target):
            index = next((i for i, c in enumerate(columns) if c == alias and i not in used), None)
            if index is not None:
                mapping[target.name] = index
                used.add(index)
                break
    return mapping
