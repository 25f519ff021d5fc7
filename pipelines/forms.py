"""Forms of the pipeline designer. They parse what the admin typed; the services in
pipelines/services/ decide what is allowed and their ValidationErrors land on these."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminForm
from pipelines.models import ActivityKind, ChecklistItem, Pipeline, Stage

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


class ChecklistItemForm(AdminForm):
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

    @classmethod
    def for_item(cls, item: ChecklistItem) -> "ChecklistItemForm":
        return cls(
            prefix=f"item-{item.pk}",
            initial={
                "text": item.text,
                "is_required": item.is_required,
                "satisfied_by": item.satisfied_by,
                "field_name": item.field_name,
                "activity_kind": item.activity_kind,
            },
        )


class NewChecklistItemForm(ChecklistItemForm):
    kind = forms.ChoiceField(label=_("List"), choices=ChecklistItem.Kind.choices)

    field_order = ["kind", "text"]

    @classmethod
    def for_list(cls, stage: Stage, kind: str, data=None) -> "NewChecklistItemForm":
        """The add row at the end of the stage's entry or exit list. Both rows post the
        same field names (the list in ``kind``, a hidden field); their element ids differ."""
        return cls(
            data, prefix=f"new-item-{stage.pk}", auto_id=f"id_{kind}_%s", initial={"kind": kind}
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
