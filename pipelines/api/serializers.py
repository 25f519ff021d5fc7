from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pipelinecrm.api_base import (
    LONG_TEXT,
    AllFieldsOptionalMixin,
    RelatedIdField,
    StrictSerializer,
)
from pipelines.models import (
    ActivityKind,
    ChecklistItem,
    CustomField,
    CustomFieldOption,
    Pipeline,
    Stage,
)


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


CONDITION_VALUE_HELP = (
    "The operand of a custom-field item's condition: for one_of a list of the field's "
    "option keys, for at_least/at_most a number (as a string or a JSON number) or a date "
    "(YYYY-MM-DD), for filled and yes null."
)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "number"},
        ],
        "nullable": True,
        "description": CONDITION_VALUE_HELP,
    }
)
class ConditionValueField(serializers.JSONField):
    """A custom-field item's operand; its fit to the field is checked by the service."""

    default_error_messages = {
        "shape": _("Send a list of option keys, a number or a date, or null."),
    }

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        is_number = isinstance(data, int | float) and not isinstance(data, bool)
        is_keys = isinstance(data, list) and all(isinstance(key, str) for key in data)
        if data is not None and not (is_number or is_keys or isinstance(data, str)):
            self.fail("shape")
        return data


class ChecklistItemSerializer(serializers.ModelSerializer):
    stage = serializers.IntegerField(source="stage_id", read_only=True)
    # Empty unless the item is satisfied by a field or an activity.
    field_name = serializers.ChoiceField(
        choices=ChecklistItem.Field.choices, allow_blank=True, read_only=True
    )
    activity_kind = serializers.ChoiceField(
        choices=ActivityKind.choices, allow_blank=True, read_only=True
    )
    # Null and empty unless the item is satisfied by a custom field.
    custom_field = serializers.IntegerField(
        source="custom_field_id", read_only=True, allow_null=True
    )
    condition = serializers.ChoiceField(
        choices=ChecklistItem.Condition.choices, allow_blank=True, read_only=True
    )
    condition_value = ConditionValueField(read_only=True, allow_null=True)

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
            "custom_field",
            "condition",
            "condition_value",
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
    custom_field = RelatedIdField(
        queryset=CustomField.objects.all(),
        required=False,
        allow_null=True,
        help_text="The custom field (of the stage's pipeline or for every pipeline), for "
        "items satisfied by a custom field.",
    )
    condition = serializers.ChoiceField(
        choices=ChecklistItem.Condition.choices,
        required=False,
        allow_blank=True,
        help_text="What the custom field's value must meet: filled (every type), yes "
        "(yes/no), one_of (choices), at_least / at_most (number, money, date).",
    )
    condition_value = ConditionValueField(required=False, allow_null=True)


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


# -- custom fields ---------------------------------------------------------------------------


class CustomFieldOptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomFieldOption
        fields = ["key", "label", "position", "is_archived"]
        read_only_fields = fields


class CustomFieldSerializer(serializers.ModelSerializer):
    pipeline = serializers.IntegerField(
        source="pipeline_id",
        read_only=True,
        allow_null=True,
        help_text="The pipeline whose deals have the field; null: every pipeline's.",
    )
    key = serializers.CharField(
        read_only=True,
        help_text="Made from the name when the field is created, never changed: deals' "
        "`custom_fields` objects and CSV headers use it.",
    )
    options = CustomFieldOptionSerializer(
        many=True,
        read_only=True,
        help_text="Choice fields' options in order, archived ones too (deals may hold one).",
    )

    class Meta:
        model = CustomField
        fields = [
            "id",
            "key",
            "name",
            "help_text",
            "type",
            "pipeline",
            "show_on_card",
            "position",
            "is_archived",
            "options",
            "created_at",
        ]
        read_only_fields = fields


class CustomFieldCreateSerializer(StrictSerializer):
    """A new field goes to the end of the order; its key is made from the name."""

    pipeline = RelatedIdField(
        queryset=Pipeline.objects.all(),
        required=False,
        allow_null=True,
        help_text="Leave out or null: the field is on every pipeline's deals.",
    )
    name = serializers.CharField(max_length=100)
    type = serializers.ChoiceField(
        choices=CustomField.Type.choices, help_text="Fixed once the field exists."
    )
    help_text = serializers.CharField(max_length=300, required=False, allow_blank=True)
    show_on_card = serializers.BooleanField(required=False, default=False)
    options = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=500,
        help_text="Single and multiple choice: the option labels, in order (at least one).",
    )


class CustomFieldUpdateSerializer(ReorderAloneMixin, StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    help_text = serializers.CharField(max_length=300, required=False, allow_blank=True)
    show_on_card = serializers.BooleanField(required=False)
    is_archived = serializers.BooleanField(
        required=False,
        help_text="true archives the field (hidden everywhere, values kept); false restores it.",
    )
    position = position_field("fields (all pipelines' order)")

    def to_internal_value(self, data):
        if isinstance(data, dict) and "type" in data:
            raise serializers.ValidationError(
                {
                    "type": [
                        _(
                            "The type of a field cannot change: deals store values of "
                            "that type. Create a new field instead."
                        )
                    ]
                }
            )
        return super().to_internal_value(data)


class CustomFieldOptionCreateSerializer(StrictSerializer):
    label = serializers.CharField(max_length=100, help_text="Added at the end of the list.")


class CustomFieldOptionUpdateSerializer(ReorderAloneMixin, StrictSerializer):
    label = serializers.CharField(max_length=100, required=False)
    is_archived = serializers.BooleanField(
        required=False,
        help_text="true: no longer offered (deals keep it); false: offered again.",
    )
    position = position_field("options of the field")
