"""The team's open pipeline broken down by a single-choice custom field ("by competitor"):
per option, the open deals' count, value and weighted value, then those without a value
(docs/domain/custom-fields.md, "API and dashboard")."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _

from deals.expressions import WEIGHTED_VALUE, ZERO
from deals.models import Deal
from forecasting.dashboards.teams import Scope
from forecasting.money import money
from pipelines.models import CustomField, Pipeline
from pipelines.selectors import custom_fields_for


@dataclass(frozen=True)
class BreakdownRow:
    option: str | None  # the option's key; None for the deals without a value
    label: str
    count: int = 0
    value: Decimal = ZERO
    weighted: Decimal = ZERO


@dataclass(frozen=True)
class Breakdown:
    field: CustomField
    rows: list[BreakdownRow]

    @property
    def total(self) -> BreakdownRow:
        return BreakdownRow(
            option=None,
            label=_("All open deals"),
            count=sum(row.count for row in self.rows),
            value=sum((row.value for row in self.rows), ZERO),
            weighted=sum((row.weighted for row in self.rows), ZERO),
        )


def breakdown_fields(*, pipeline: Pipeline | None) -> list[CustomField]:
    """What the open pipeline can be broken down by: the active single-choice fields of
    the pipeline and of every pipeline, in designer order, with their options."""
    if pipeline is None:
        return []
    return [
        field
        for field in custom_fields_for(pipeline.pk)
        if field.type == CustomField.Type.SINGLE_CHOICE
    ]


def open_pipeline_breakdown(*, scope: Scope, pipeline: Pipeline, field: CustomField) -> Breakdown:
    """The scope's open deals on ``pipeline`` grouped by their value of ``field``
    (``custom_fields ->> key``), in one query; every offered option in the field's order
    (with zeros), an archived option only while deals hold it, then "Not set"."""
    totals = {
        row["choice"]: row
        for row in scope.on(pipeline)
        .deals()
        .filter(status=Deal.Status.OPEN)
        .annotate(choice=KeyTextTransform(field.key, "custom_fields"))
        .order_by()
        .values("choice")
        .annotate(count=Count("pk"), total=Sum("value"), weighted=Sum(WEIGHTED_VALUE))
    }

    def row(option: str | None, label: str) -> BreakdownRow:
        found = totals.pop(option, None)
        if found is None:
            return BreakdownRow(option=option, label=label)
        return BreakdownRow(
            option=option,
            label=label,
            count=found["count"],
            value=money(found["total"]),
            weighted=money(found["weighted"]),
        )

    options = getattr(field, "all_options", None)  # as custom_fields_for reads them
    if options is None:
        options = list(field.options.order_by("position", "pk"))
    rows = [
        row(option.key, option.label)
        for option in options
        if not option.is_archived or option.key in totals
    ]
    # Values that are no option (stored under another type) show as they are stored.
    rows += [row(choice, choice) for choice in sorted(key for key in totals if key is not None)]
    rows.append(row(None, _("Not set")))
    return Breakdown(field=field, rows=rows)
