"""Forms of the pipeline designer. They parse what the admin typed; the services in
pipelines/services/ decide what is allowed and their ValidationErrors land on these."""

from django import forms

from accounts.forms import AdminForm
from pipelines.models import ActivityKind, ChecklistItem, Pipeline, Stage

PROBABILITY_ERROR = "Probability must be between 0 and 100."
THRESHOLD_ERROR = "The stall threshold must be at least one day (leave it empty: never stalls)."


class PipelineForm(AdminForm):
    name = forms.CharField(max_length=100)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    visibility = forms.ChoiceField(choices=Pipeline.Visibility.choices)
    forward_jumps = forms.ChoiceField(
        label="Forward jumps",
        choices=Pipeline.ForwardJumps.choices,
        help_text="Strict: a deal that skips stages also needs the required exit items of "
        "each stage it leaves behind and the entry items of each stage it passes over.",
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
    name = forms.CharField(max_length=100, error_messages={"required": "A stage needs a name."})
    probability = forms.IntegerField(
        label="Win probability (%)",
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
        label="Stalls after (days)",
        min_value=1,
        required=False,
        error_messages={"min_value": THRESHOLD_ERROR, "invalid": THRESHOLD_ERROR},
    )
    guidance = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
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
    text = forms.CharField(max_length=200, error_messages={"required": "Say what has to be done."})
    is_required = forms.BooleanField(label="Required", required=False, initial=True)
    satisfied_by = forms.ChoiceField(
        label="Done when",
        choices=ChecklistItem.SatisfiedBy.choices,
        widget=forms.Select(attrs={"data-satisfied-by": ""}),
    )
    field_name = forms.ChoiceField(
        label="Deal field",
        choices=[("", "—"), *ChecklistItem.Field.choices],
        required=False,
    )
    activity_kind = forms.ChoiceField(
        label="Activity",
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
    kind = forms.ChoiceField(label="List", choices=ChecklistItem.Kind.choices)

    field_order = ["kind", "text"]


class StageRemoveForm(AdminForm):
    target = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        required=False,
        empty_label="Choose a stage…",
        label="Move its open deals to",
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
