from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from deals.access import deals_visible_to
from deals.api.custom_fields import CustomFieldsInputField, CustomFieldValuesField, values_from_json
from deals.models import Activity, Deal, DealEvent, LostReason, Notification, Organization, Person
from deals.selectors.board import decorate_cards
from pipelinecrm.api_base import (
    LONG_TEXT,
    IdOrNameField,
    RelatedIdField,
    StrictModelSerializer,
    StrictSerializer,
    id_field,
    money_field,
)
from pipelines.models import ActivityKind, Pipeline, Stage

REASON_TEXT = 1000
# Far more cards than any column holds; bounds the number before it reaches the service.
MAX_POSITION = 1_000_000


def _version(**kwargs) -> serializers.IntegerField:
    kwargs.setdefault("help_text", "The deal's `version` as you last read it.")
    return id_field(**kwargs)


# -- Deals -------------------------------------------------------------------------------


class ChecklistProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(source="checklist_done")
    required = serializers.IntegerField(source="checklist_required")


class DealListSerializer(serializers.ListSerializer):
    """Checklist progress for a whole page at once: a fixed number of queries per page."""

    def to_representation(self, data):
        deals = list(data.all() if hasattr(data, "all") else data)
        decorate_cards([d for d in deals if not hasattr(d, "checklist_done")], self._user())
        return super().to_representation(deals)

    def _user(self) -> User:
        return self.context["request"].user


class DealSerializer(serializers.ModelSerializer):
    """A deal as docs/domain/api.md lists it; related objects by id.

    Instances come from ``deals_with_figures`` (``probability`` and ``weighted`` are SQL
    annotations); ``checklist`` counts the satisfied and required exit items of the
    current stage.
    """

    value = money_field(allow_null=True, read_only=True)
    currency = serializers.SerializerMethodField()
    pipeline = serializers.IntegerField(source="pipeline_id", read_only=True)
    stage = serializers.IntegerField(source="stage_id", read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True)
    organization = serializers.IntegerField(
        source="organization_id", allow_null=True, read_only=True
    )
    person = serializers.IntegerField(source="person_id", allow_null=True, read_only=True)
    lost_reason = serializers.IntegerField(source="lost_reason_id", allow_null=True, read_only=True)
    probability = serializers.IntegerField(
        read_only=True, help_text="Effective: the deal's override, else its stage's."
    )
    weighted_value = serializers.DecimalField(
        source="weighted",
        max_digits=20,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        help_text="value × probability / 100",
    )
    checklist = ChecklistProgressSerializer(source="*", read_only=True)
    custom_fields = CustomFieldValuesField(
        help_text="Every active custom field of the deal's pipeline (and of every pipeline) "
        "by key, null when empty.",
    )

    class Meta:
        model = Deal
        list_serializer_class = DealListSerializer
        fields = [
            "id",
            "title",
            "value",
            "currency",
            "pipeline",
            "stage",
            "owner",
            "organization",
            "person",
            "expected_close_date",
            "status",
            "lost_reason",
            "probability",
            "weighted_value",
            "position",
            "version",
            "is_stalled",
            "stalled_since",
            "stage_entered_at",
            "last_activity_at",
            "checklist",
            "custom_fields",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_currency(self, deal: Deal) -> str:
        return settings.CURRENCY

    def to_representation(self, deal: Deal):
        if not hasattr(deal, "checklist_done"):
            decorate_cards([deal], self.context["request"].user)
        return super().to_representation(deal)


class DealCreateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200)
    value = money_field(required=False, allow_null=True)
    pipeline = RelatedIdField(queryset=Pipeline.objects.filter(is_active=True))
    stage = RelatedIdField(queryset=Stage.objects.filter(is_archived=False))
    owner = RelatedIdField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Defaults to you. Reps create deals for themselves, managers also for "
        "the teams they manage, admins for anyone.",
    )
    organization = RelatedIdField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    person = RelatedIdField(queryset=Person.objects.all(), required=False, allow_null=True)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    external_id = serializers.CharField(
        max_length=100, required=False, allow_null=True, help_text="Your system's id, unique."
    )
    custom_fields = CustomFieldsInputField(
        required=False, help_text="Custom-field values by key (fields of the pipeline)."
    )

    def validate(self, attrs):
        if "custom_fields" in attrs:
            attrs["custom_fields"] = values_from_json(
                pipeline_id=attrs["pipeline"].pk, values=attrs["custom_fields"], current={}
            )
        return attrs


class DealUpdateSerializer(StrictSerializer):
    """Field edits and reassignment (``owner``), applied together or not at all; the deal
    being edited comes in the context (``deal``): its pipeline has the custom fields."""

    version = _version()
    title = serializers.CharField(max_length=200, required=False)
    value = money_field(required=False, allow_null=True)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    organization = RelatedIdField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    person = RelatedIdField(queryset=Person.objects.all(), required=False, allow_null=True)
    probability_override = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    owner = RelatedIdField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Reassign: managers to members of the teams they manage, admins to anyone.",
    )
    custom_fields = CustomFieldsInputField(
        required=False,
        help_text="Only the keys given change; null clears a value.",
    )

    def validate(self, attrs):
        if "custom_fields" in attrs:
            deal = self.context["deal"]
            attrs["custom_fields"] = values_from_json(
                pipeline_id=deal.pipeline_id,
                values=attrs["custom_fields"],
                current=deal.custom_fields,
            )
        return attrs


class MoveSerializer(StrictSerializer):
    stage = id_field(help_text="The target stage.")
    position = serializers.IntegerField(
        min_value=0,
        max_value=MAX_POSITION,
        required=False,
        allow_null=True,
        help_text="0-based index among all open deals of the target stage. At most one of "
        "position, before and after; none: the top of the column.",
    )
    before = id_field(
        required=False,
        allow_null=True,
        help_text="Land just above this open deal of the target stage (a neighbour instead "
        "of an index, as the board sends it).",
    )
    after = id_field(
        required=False,
        allow_null=True,
        help_text="Land just below this open deal of the target stage.",
    )
    version = _version()
    pipeline = id_field(
        required=False,
        allow_null=True,
        help_text="Name the pipeline to move the deal to a stage of another pipeline.",
    )
    override_reason = serializers.CharField(
        max_length=REASON_TEXT,
        required=False,
        allow_blank=True,
        help_text="Managers of the owner's team and admins: skip missing checklist items.",
    )


class WonSerializer(StrictSerializer):
    version = _version()
    override_reason = serializers.CharField(
        max_length=REASON_TEXT, required=False, allow_blank=True
    )


class LostSerializer(StrictSerializer):
    reason = IdOrNameField(help_text="A lost reason's id or name.")
    note = serializers.CharField(max_length=REASON_TEXT, required=False, allow_blank=True)
    version = _version()

    def validate_reason(self, value) -> LostReason:
        reasons = LostReason.objects.all()
        reason = (
            reasons.filter(pk=value).first()
            if isinstance(value, int)
            else reasons.filter(name__iexact=value.strip()).first()
        )
        if reason is None:
            raise serializers.ValidationError(_("No such lost reason."))
        return reason


class VersionSerializer(StrictSerializer):
    version = _version()


class ChecklistTickSerializer(StrictSerializer):
    version = _version(
        required=False,
        help_text="Optional: refuse the tick if the deal changed since you read it.",
    )


class VersionQuerySerializer(serializers.Serializer):
    version = _version(
        required=False,
        help_text="Optional: refuse the change if the deal changed since you read it.",
    )


class DealEventSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", allow_null=True, read_only=True)
    data = serializers.DictField(read_only=True, help_text="What changed, by kind of event.")

    class Meta:
        model = DealEvent
        fields = ["id", "kind", "user", "data", "created_at"]
        read_only_fields = fields


class LostReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = LostReason
        fields = ["id", "name"]
        read_only_fields = fields


# -- Board -------------------------------------------------------------------------------


class BoardQuerySerializer(serializers.Serializer):
    owner = serializers.RegexField(
        r"^(me|[0-9]{1,18})$", required=False, help_text="`me` or a user id."
    )
    stalled = serializers.BooleanField(required=False, default=False)
    closing = serializers.ChoiceField(
        choices=["month"], required=False, help_text="`month`: closing this month."
    )
    q = serializers.CharField(max_length=100, required=False, allow_blank=True)
    limit = serializers.IntegerField(
        min_value=1, max_value=200, required=False, help_text="Cards per column."
    )


class BoardColumnSerializer(serializers.Serializer):
    stage = serializers.IntegerField(source="stage.pk")
    name = serializers.CharField(source="stage.name")
    probability = serializers.IntegerField(source="stage.probability")
    count = serializers.IntegerField(help_text="Open deals in the whole (filtered) column.")
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=20, decimal_places=2)
    cards = DealSerializer(many=True, help_text="The first cards, in board order.")
    next_offset = serializers.IntegerField(
        allow_null=True, help_text="More cards follow from this index; null: no more."
    )


class BoardSerializer(serializers.Serializer):
    pipeline = serializers.IntegerField(source="pipeline.pk")
    currency = serializers.CharField()
    columns = BoardColumnSerializer(many=True)


# -- Organizations and people ------------------------------------------------------------


class OrganizationSerializer(StrictModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "domain", "created_at"]


class PersonSerializer(StrictModelSerializer):
    organization = RelatedIdField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Person
        fields = ["id", "name", "email", "phone", "organization", "created_at"]


# -- Activities --------------------------------------------------------------------------


class ActivitySerializer(serializers.ModelSerializer):
    deal = serializers.IntegerField(source="deal_id", read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "deal",
            "owner",
            "kind",
            "subject",
            "due_at",
            "done_at",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ActivityCreateSerializer(StrictSerializer):
    deal = RelatedIdField(queryset=Deal.objects.none())
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    subject = serializers.CharField(max_length=200)
    done = serializers.BooleanField(
        required=False,
        help_text="true: it happened (logged); false: it is scheduled. Default: true when "
        "`done_at` is given, else false — an activity with only a `due_at` is scheduled.",
    )
    done_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When it happened (implies `done: true`); with `done: true` and no "
        "`done_at`, now. Not in the future (beyond a few minutes of clock skew), and not "
        "with `done: false`.",
    )
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When it is due (for a scheduled activity)."
    )
    notes = serializers.CharField(max_length=LONG_TEXT, required=False, allow_blank=True)
    version = _version(required=False)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            # A deal the user cannot see is "no such deal", exactly as for a wrong id.
            fields["deal"].queryset = deals_visible_to(request.user)
        return fields

    def validate(self, attrs):
        # As in Pipedrive's API: scheduled unless it says it is done (a done time says so).
        attrs.setdefault("done", attrs.get("done_at") is not None)
        return attrs


class ActivityUpdateSerializer(StrictSerializer):
    done = serializers.BooleanField(help_text="Mark done now, or undo that.")


# -- Notifications -----------------------------------------------------------------------


class NotificationSerializer(StrictModelSerializer):
    """About a deal the recipient may no longer see: no deal id and no title (the queryset
    comes from ``notifications_for``)."""

    deal = serializers.SerializerMethodField()
    text = serializers.CharField(source="shown_text", read_only=True)

    def get_deal(self, notification: Notification) -> int | None:
        return notification.deal_id if notification.deal_visible else None

    class Meta:
        model = Notification
        fields = ["id", "kind", "deal", "text", "is_read", "created_at"]
        read_only_fields = ["id", "kind", "deal", "text", "created_at"]


class MarkedReadSerializer(serializers.Serializer):
    updated = serializers.IntegerField()
