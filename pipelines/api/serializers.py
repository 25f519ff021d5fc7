from django.utils.translation import gettext as _
from rest_framework import serializers

from pipelinecrm.api_base import (
    LONG_TEXT,
    AllFieldsOptionalMixin,
    RelatedIdField,
    StrictSerializer,
)
from pipelines.models import ActivityKind, ChecklistItem, Pipeline, Stage


class PipelineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pipeline
        fields = [
            "id",
            "name",
            "description",
            "visibility",
            "forward_jumps",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


FORWARD_JUMPS_HELP = (
    "What a forward move over stages needs. allowed: the current stage's exit items and the "
    "target's entry items. strict: also the exit and entry items of every stage skipped; "
    "won also needs the exit items of every later stage."
)


class PipelineCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=LONG_TEXT, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(
        choices=Pipeline.Visibility.choices, default=Pipeline.Visibility.TEAM
    )
    forward_jumps = serializers.ChoiceField(
        choices=Pipeline.ForwardJumps.choices,
        default=Pipeline.ForwardJumps.STRICT,
        help_text=FORWARD_JUMPS_HELP,
    )


class PipelineUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=LONG_TEXT, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Pipeline.Visibility.choices, required=False)
    forward_jumps = serializers.ChoiceField(
        choices=Pipeline.ForwardJumps.choices, required=False, help_text=FORWARD_JUMPS_HELP
    )
    is_active = serializers.BooleanField(
        required=False,
        help_text="false archives the pipeline (hidden from boards); true restores it.",
    )


class StageSerializer(serializers.ModelSerializer):
    pipeline = serializers.IntegerField(source="pipeline_id", read_only=True)

    class Meta:
        model = Stage
        fields = [
            "id",
            "pipeline",
            "name",
            "position",
            "probability",
            "stall_threshold_days",
            "guidance",
            "is_archived",
        ]
        read_only_fields = fields


class StageCreateSerializer(StrictSerializer):
    """A new stage goes to the end of its pipeline."""

    pipeline = RelatedIdField(queryset=Pipeline.objects.all())
    name = serializers.CharField(max_length=100)
    probability = serializers.IntegerField(min_value=0, max_value=100)
    stall_threshold_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )
    guidance = serializers.CharField(max_length=LONG_TEXT, required=False, allow_blank=True)


POSITION_HELP = (
    "Reorder: the 0-based index to move it to among the active {siblings}; the others "
    "shift. Send it on its own, without other fields."
)


def position_field(siblings: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0,
        max_value=10_000,
        required=False,
        help_text=POSITION_HELP.format(siblings=siblings),
    )


class ReorderAloneMixin:
    """A reorder is its own change (and its own audit entry): refused next to an edit, so
    a bad index cannot leave half a PATCH applied."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "position" in attrs and len(attrs) > 1:
            raise serializers.ValidationError(
                {"position": [_("Send position on its own, without other fields.")]}
            )
        return attrs


class StageUpdateSerializer(ReorderAloneMixin, AllFieldsOptionalMixin, StageCreateSerializer):
    pipeline = None
    is_archived = serializers.BooleanField(
        help_text="true archives the stage (it must hold no open deals); it cannot be undone."
    )
    position = position_field("stages of its pipeline")

    def validate_is_archived(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("An archived stage cannot be restored."))
        return value


class ChecklistItemSerializer(serializers.ModelSerializer):
    stage = serializers.IntegerField(source="stage_id", read_only=True)
    # Empty unless the item is satisfied by a field or an activity.
    field_name = serializers.ChoiceField(
        choices=ChecklistItem.Field.choices, allow_blank=True, read_only=True
    )
    activity_kind = serializers.ChoiceField(
        choices=ActivityKind.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "stage",
            "kind",
            "text",
            "position",
            "is_required",
            "satisfied_by",
            "field_name",
            "activity_kind",
            "is_archived",
        ]
        read_only_fields = fields


class ChecklistItemUpdateSerializer(StrictSerializer):
    """No defaults here: a PATCH must not reset what it does not name."""

    text = serializers.CharField(max_length=200, required=False)
    is_required = serializers.BooleanField(required=False)
    satisfied_by = serializers.ChoiceField(
        choices=ChecklistItem.SatisfiedBy.choices,
        required=False,
        help_text="Default for new items: manual.",
    )
    field_name = serializers.ChoiceField(
        choices=ChecklistItem.Field.choices,
        required=False,
        allow_blank=True,
        help_text="The deal field, for items satisfied by a field.",
    )
    activity_kind = serializers.ChoiceField(
        choices=ActivityKind.choices,
        required=False,
        allow_blank=True,
        help_text="The kind of done activity, for items satisfied by an activity.",
    )


class ChecklistItemPatchSerializer(ReorderAloneMixin, ChecklistItemUpdateSerializer):
    position = position_field("items of its stage's list (entry or exit)")


class ChecklistItemCreateSerializer(ChecklistItemUpdateSerializer):
    """A new item goes to the end of its stage's entry or exit list; it is required and
    manual unless the body says otherwise."""

    stage = RelatedIdField(queryset=Stage.objects.all())
    kind = serializers.ChoiceField(choices=ChecklistItem.Kind.choices)

    def get_fields(self):
        fields = super().get_fields()
        fields["text"].required = True
        return fields
