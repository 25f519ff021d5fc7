"""The demo company's custom fields (docs/domain/custom-fields.md): what `make run` shows on
Sales deals (competitor and budget on the cards, the rest on the deal page, the Deals
list's columns and filters), and the values each deal holds.

Values are drawn with a random generator of their own, after the planner's stories, so
that the deals' histories stay what the seed made them. They obey the checklist: the
Proposal stage's entry item "Budget confirmed" is satisfied by the field ``budget_confirmed``
being yes, and every deal whose moves needed it (``DealPlan.needed_fields``) holds yes.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils.text import slugify

from deals.demo.planner import DealPlan
from pipelines.models import CustomField, CustomFieldOption, Pipeline

Type = CustomField.Type
SALES, RENEWALS = 0, 1  # indexes of catalogue.PIPELINES


@dataclass(frozen=True)
class FieldSpec:
    key: str
    name: str
    type: str
    pipeline: int | None  # an index of catalogue.PIPELINES; None: every pipeline
    options: tuple[str, ...] = ()
    show_on_card: bool = False
    help_text: str = ""


FIELDS = (
    FieldSpec(
        "competitor",
        "Competitor",
        Type.SINGLE_CHOICE,
        SALES,
        ("None known", "Acme Corp", "Globex", "Initech", "Umbrella"),
        show_on_card=True,
        help_text="The vendor the customer compares us with.",
    ),
    FieldSpec("budget", "Budget", Type.MONEY, SALES, show_on_card=True),
    FieldSpec(
        "budget_confirmed",
        "Budget confirmed",
        Type.YES_NO,
        SALES,
        help_text="The customer has the money approved for this purchase.",
    ),
    FieldSpec("contract_term", "Contract term (months)", Type.NUMBER, None),
    FieldSpec("decision_date", "Decision date", Type.DATE, SALES),
    FieldSpec(
        "products", "Products", Type.MULTIPLE_CHOICE, None, ("Platform", "Analytics", "Support")
    ),
    FieldSpec(
        "lead_source",
        "Lead source",
        Type.SINGLE_CHOICE,
        SALES,
        ("Website", "Referral", "Event", "Outbound", "Partner"),
    ),
    FieldSpec("technical_contact", "Technical contact", Type.USER, SALES),
    FieldSpec("next_step", "Next step", Type.TEXT, None),
)
NEXT_STEPS = (
    "Send the revised quote",
    "Workshop with their IT team",
    "Reference call with a customer",
    "Wait for the board's decision",
    "Security questionnaire",
)


def option_key(label: str) -> str:
    return slugify(label).replace("-", "_")


def demo_fields_create(pipelines: list[Pipeline]) -> dict[str, CustomField]:
    """The demo's fields and their options, bulk-inserted; by key."""
    fields = CustomField.objects.bulk_create(
        [
            CustomField(
                key=spec.key,
                name=spec.name,
                type=spec.type,
                pipeline=None if spec.pipeline is None else pipelines[spec.pipeline],
                show_on_card=spec.show_on_card,
                help_text=spec.help_text,
                position=position,
            )
            for position, spec in enumerate(FIELDS)
        ]
    )
    CustomFieldOption.objects.bulk_create(
        [
            CustomFieldOption(field=field, key=option_key(label), label=label, position=index)
            for field, spec in zip(fields, FIELDS, strict=True)
            for index, label in enumerate(spec.options)
        ]
    )
    return {field.key: field for field in fields}


class DemoValues:
    """Each deal's custom-field values, as stored (pipelines/custom_fields.py); a user
    field names the user by username, which the writer turns into an id."""

    def __init__(self, *, rng: random.Random, usernames: list[str]) -> None:
        self.rng = rng
        self.usernames = usernames

    def of(self, plan: DealPlan) -> dict:
        rng, values = self.rng, {}
        sales = plan.pipeline == SALES
        if sales:
            if rng.random() < 0.85:
                values["competitor"] = rng.choices(
                    [option_key(label) for label in FIELDS[0].options], weights=(4, 3, 2, 2, 1)
                )[0]
            if plan.value is not None and rng.random() < 0.8:
                values["budget"] = str(
                    int(plan.value * Decimal(rng.uniform(0.8, 1.4)) // 100 * 100)
                )
            if "custom:budget_confirmed" in plan.needed_fields:
                values["budget_confirmed"] = True
            elif rng.random() < 0.6:
                values["budget_confirmed"] = rng.random() < 0.5
            if plan.expected_close_date and rng.random() < 0.6:
                days = datetime.timedelta(days=rng.randint(-14, 7))
                values["decision_date"] = (plan.expected_close_date + days).isoformat()
            if rng.random() < 0.8:
                values["lead_source"] = option_key(rng.choice(FIELDS[6].options))
            if rng.random() < 0.35:
                values["technical_contact"] = rng.choice(self.usernames)
        if rng.random() < 0.75:
            values["contract_term"] = str(rng.choice((12, 12, 24, 24, 36, 6)))
        if rng.random() < 0.7:
            chosen = set(rng.sample(FIELDS[5].options, rng.randint(1, 3)))
            values["products"] = [option_key(o) for o in FIELDS[5].options if o in chosen]
        if plan.status == "open" and rng.random() < 0.5:
            values["next_step"] = rng.choice(NEXT_STEPS)
        return values
