"""Forms of the pipeline designer. They parse what the admin typed; the services in
pipelines/services/ decide what is allowed and their ValidationErrors land on these."""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminForm
from pipelinecrm.form_fields import AmountField
from pipelines import custom_fields as types
from pipelines.models import ActivityKind, ChecklistItem, CustomField, Pipeline, Stage

PROBABILITY_ERROR = _("Probability must be between 0 and 100.")
THRESHOLD_ERROR = _("The stall threshold must be at least one day (leave it empty: never stalls).")


class PipelineForm(AdminForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Pipeline.Visibility.choices)
    forward_jumps = forms.ChoiceField(
        label=_("Forward jumps"),
        choices=Pipeline.ForwardJumps.choices,
        help_text=_(
            "Strict: a deal that skips stages also needs the required exit items of "
            "each stage it leaves behind and the entry items of each stage it passes over."
        ),
    )

    @classmethod
    def for_pipeline(cls, pipeline: Pipeline) -> "PipelineForm":
        return cls(
            initial={
                "name": pipeline.name,
                "description": pipeline.description,
                "visibility": pipeline.visibility,
                "forward_jumps": pipeline.forward_jumps,
            }
        )


class StageForm(AdminForm):
    name = forms.CharField(
        label=_("Name"), max_length=100, error_messages={"required": _("A stage needs a name.")}
    )
    probability = forms.IntegerField(
        label=_("Win probability (%)"),
        min_value=0,
        max_value=100,
        error_messages={
            "required": PROBABILITY_ERROR,
            "min_value": PROBABILITY_ERROR,
            "max_value": PROBABILITY_ERROR,
            "invalid": PROBABILITY_ERROR,
        },
    )
    stall_threshold_days = forms.IntegerField(
        label=_("Stalls after (days)"),
        min_value=1,
        required=False,
        error_messages={"min_value": THRESHOLD_ERROR, "invalid": THRESHOLD_ERROR},
    )
    guidance = forms.CharField(
        label=_("Guidance"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @classmethod
    def for_stage(cls, stage: Stage) -> "StageForm":
        return cls(
            prefix=f"stage-{stage.pk}",
            initial={
                "name": stage.name,
                "probability": stage.probability,
                "stall_threshold_days": stage.stall_threshold_days,
                "guidance": stage.guidance,
            },
        )


Condition = ChecklistItem.Condition
# The inputs of a custom-field item's operand; one of them applies, by condition and type.
OPERAND_INPUTS = ("condition_options", "condition_number", "condition_date")


class CustomFieldSelect(forms.Select):
    """The item's custom field. Each option carries its field's type and the conditions
    that fit it (``data-type``, ``data-conditions``), so that static/js/designer.js offers
    only those and the operand input that applies."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.option_data: dict[str, dict[str, str]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


class ChecklistItemForm(AdminForm):
    """An item of a stage's checklist. ``custom_fields``: the fields an item of this stage
    may name (those on the pipeline's deals; an archived one only if ``item``, the item
    being edited, names it already)."""

    text = forms.CharField(
        label=_("Text"),
        max_length=200,
        error_messages={"required": _("Say what has to be done.")},
    )
    is_required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    satisfied_by = forms.ChoiceField(
        label=_("Done when"),
        choices=ChecklistItem.SatisfiedBy.choices,
        widget=forms.Select(attrs={"data-satisfied-by": ""}),
    )
    field_name = forms.ChoiceField(
        label=_("Deal field"),
        choices=[("", "—"), *ChecklistItem.Field.choices],
        required=False,
    )
    activity_kind = forms.ChoiceField(
        label=_("Activity"),
        choices=[("", "—"), *ActivityKind.choices],
        required=False,
    )
    custom_field = forms.TypedChoiceField(
        label=_("Custom field"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=CustomFieldSelect(attrs={"data-custom-field": ""}),
    )
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=[("", "—"), *Condition.choices],
        required=False,
        widget=forms.Select(attrs={"data-condition": ""}),
    )
    condition_options = forms.MultipleChoiceField(
        label=_("Options"), required=False, widget=forms.CheckboxSelectMultiple
    )
    condition_number = AmountField(
        label=_("Number"),
        required=False,
        max_digits=types.MAX_DIGITS,
        decimal_places=types.NUMBER_PLACES,
    )
    condition_date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self,
        *args,
        custom_fields: Sequence[CustomField] = (),
        item: ChecklistItem | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        kept_id = item.custom_field_id if item else None
        fields = [f for f in custom_fields if not f.is_archived or f.pk == kept_id]
        self.custom_field_defs = {field.pk: field for field in fields}
        kept_keys = item.condition_value if item and item.condition == Condition.ONE_OF else None
        kept_keys = kept_keys if isinstance(kept_keys, list) else []
        self.fields["custom_field"].choices = [("", "—")] + [
            (field.pk, _field_label(field)) for field in fields
        ]
        self.fields["custom_field"].widget.option_data = {
            str(field.pk): {
                "data-type": field.type,
                "data-conditions": " ".join(types.CONDITIONS[field.type]),
            }
            for field in fields
        }
        self.fields["condition_options"].choices = [
            (f"{field.pk}:{option.key}", option.label)
            for field in fields
            if field.has_options
            for option in field.all_options
            # An archived option the item names already stays offered, so it is kept.
            if not option.is_archived or (field.pk == kept_id and option.key in kept_keys)
        ]
        if item is not None and not self.is_bound:
            self.initial.update(_initial(item, self.custom_field_defs.get(kept_id)))

    def option_groups(self) -> list[tuple[CustomField, list]]:
        """The "is one of" checkboxes by field, for the template to show the chosen
        field's only (static/js/designer.js) and all of them without JavaScript."""
        boxes = list(self["condition_options"])
        return [
            (field, [box for box in boxes if box.data["value"].startswith(f"{field.pk}:")])
            for field in self.custom_field_defs.values()
            if field.has_options
        ]

    @classmethod
    def for_item(
        cls, item: ChecklistItem, *, custom_fields: Sequence[CustomField] = ()
    ) -> "ChecklistItemForm":
        return cls(prefix=f"item-{item.pk}", custom_fields=custom_fields, item=item)

    def clean(self):
        data = super().clean()
        inputs = {name: data.pop(name, None) for name in OPERAND_INPUTS}
        if data.get("satisfied_by") != ChecklistItem.SatisfiedBy.CUSTOM_FIELD:
            data.update(custom_field=None, condition="", condition_value=None)
            return data
        field = self.custom_field_defs.get(data.get("custom_field"))
        if field is None:
            if "custom_field" not in self.errors:
                message = gettext_now("Choose the custom field that satisfies this item.")
                self.add_error("custom_field", message)
            return data
        data["custom_field"] = field
        condition = data.get("condition")
        if not condition:
            if "condition" not in self.errors:
                self.add_error("condition", gettext_now("Choose a condition."))
            return data
        operand, input_name = _operand(field, condition, inputs)
        if input_name in self.errors:
            return data
        for name, message in types.condition_errors(field, condition, operand).items():
            self.add_error(input_name if name == "condition_value" else name, message)
        data["condition_value"] = operand
        return data


def _field_label(field: CustomField) -> str:
    label = f"{field.name} ({field.get_type_display()})"
    if field.is_archived:
        return gettext_now("%(field)s, archived") % {"field": label}
    return label


def _operand(field: CustomField, condition: str, inputs: dict) -> tuple:
    """The operand an item stores, from the input that applies, and that input's name."""
    if condition == Condition.ONE_OF:
        prefix = f"{field.pk}:"
        chosen = inputs["condition_options"] or []
        keys = [value.removeprefix(prefix) for value in chosen if value.startswith(prefix)]
        return keys, "condition_options"
    if condition in (Condition.AT_LEAST, Condition.AT_MOST):
        if field.type == CustomField.Type.DATE:
            day = inputs["condition_date"]
            return (day.isoformat() if day else None), "condition_date"
        number = inputs["condition_number"]
        return (format(number.normalize(), "f") if number is not None else None), (
            "condition_number"
        )
    return None, "condition"


def _initial(item: ChecklistItem, field: CustomField | None) -> dict:
    """An item as its form's initial values; its operand in the input that shows it."""
    initial = {
        "text": item.text,
        "is_required": item.is_required,
        "satisfied_by": item.satisfied_by,
        "field_name": item.field_name,
        "activity_kind": item.activity_kind,
        "custom_field": item.custom_field_id,
        "condition": item.condition,
    }
    value = item.condition_value
    if field is None or value is None:
        return initial
    if item.condition == Condition.ONE_OF and isinstance(value, list):
        initial["condition_options"] = [f"{field.pk}:{key}" for key in value]
    elif item.condition in (Condition.AT_LEAST, Condition.AT_MOST):
        if field.type == CustomField.Type.DATE:
            initial["condition_date"] = datetime.date.fromisoformat(str(value))
        else:
            initial["condition_number"] = Decimal(str(value))
    return initial


class NewChecklistItemForm(ChecklistItemForm):
    kind = forms.ChoiceField(label=_("List"), choices=ChecklistItem.Kind.choices)

    field_order = ["kind", "text"]

    @classmethod
    def for_list(
        cls, stage: Stage, kind: str, data=None, *, custom_fields: Sequence[CustomField] = ()
    ) -> "NewChecklistItemForm":
        """The add row at the end of the stage's entry or exit list. Both rows post the
        same field names (the list in ``kind``, a hidden field); their element ids differ."""
        return cls(
            data,
            prefix=f"new-item-{stage.pk}",
            auto_id=f"id_{kind}_%s",
            initial={"kind": kind},
            custom_fields=custom_fields,
        )


class StageRemoveForm(AdminForm):
    target = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        required=False,
        empty_label=_("Choose a stage…"),
        label=_("Move its open deals to"),
    )

    def __init__(self, *args, stage: Stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            Stage.objects.filter(pipeline_id=stage.pipeline_id, is_archived=False)
            .exclude(pk=stage.pk)
            .order_by("position")
        )


class ShiftForm(AdminForm):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])

    @property
    def offset(self) -> int:
        return -1 if self.cleaned_data["direction"] == "up" else 1


class StageOrderForm(AdminForm):
    """The designer's drag: the active stage ids in their new order, comma-separated."""

    order = forms.RegexField(regex=r"^\d+(,\d+)*$")

    @property
    def stage_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["order"].split(",")]
