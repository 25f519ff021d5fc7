import datetime

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team, User
from forecasting.models import Quota
from forecasting.selectors import GROUPINGS
from pipelinecrm.api_base import RelatedIdField, StrictSerializer, money_field
from pipelines.models import Pipeline
from pipelines.selectors import pipelines_visible_to


class QuotaSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", allow_null=True, read_only=True)
    team = serializers.IntegerField(source="team_id", allow_null=True, read_only=True)

    class Meta:
        model = Quota
        fields = ["id", "user", "team", "month", "amount"]
        read_only_fields = fields


class QuotaCreateSerializer(StrictSerializer):
    """A monthly target of a user or of a team (exactly one of the two)."""

    user = RelatedIdField(queryset=User.objects.all(), required=False, allow_null=True)
    team = RelatedIdField(queryset=Team.objects.all(), required=False, allow_null=True)
    month = serializers.DateField(help_text="The first day of the month.")
    amount = money_field()

    def validate_month(self, month):
        if month.day != 1:
            raise serializers.ValidationError(_("Give the first day of the month."))
        return month

    def validate(self, attrs):
        user, team = attrs.get("user"), attrs.get("team")
        if (user is None) == (team is None):
            raise serializers.ValidationError(_("Give a user or a team, not both."))
        owner = {"user": user} if user else {"team": team}
        if Quota.objects.filter(month=attrs["month"], **owner).exists():
            raise serializers.ValidationError(
                _("There is already a quota for that month; change its amount instead.")
            )
        return attrs


class QuotaUpdateSerializer(StrictSerializer):
    amount = money_field()


class ForecastQuerySerializer(serializers.Serializer):
    pipeline = RelatedIdField(
        queryset=Pipeline.objects.none(), required=False, help_text="Default: all pipelines."
    )
    group_by = serializers.ChoiceField(choices=list(GROUPINGS), default="owner")

    def get_fields(self):
        fields = super().get_fields()
        # "from" and "to" are Python keywords, so they cannot be declared as attributes.
        fields["from"] = serializers.DateField(
            required=False, help_text="From the month containing this date."
        )
        fields["to"] = serializers.DateField(
            required=False, help_text="Up to the month containing this date."
        )
        request = self.context.get("request")
        if request is not None:
            fields["pipeline"].queryset = pipelines_visible_to(request.user)
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": [_("Give a date after `from`.")]})
        return attrs


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string", "format": "date"}],
        "nullable": True,
        "description": "Owner, team or stage id, or the month's first day; null for "
        "deals of no team or without a close date.",
    }
)
class ForecastKeyField(serializers.Field):
    def to_representation(self, value):
        return value.isoformat() if isinstance(value, datetime.date) else value


class ForecastRowSerializer(serializers.Serializer):
    key = ForecastKeyField(allow_null=True)
    label = serializers.CharField()
    weighted = serializers.DecimalField(max_digits=20, decimal_places=2)
    open = serializers.DecimalField(max_digits=20, decimal_places=2)
    won = serializers.DecimalField(max_digits=20, decimal_places=2)
    count = serializers.IntegerField(help_text="Open deals.")
    overdue = serializers.IntegerField(help_text="Open deals whose close date has passed.")


class ForecastSerializer(serializers.Serializer):
    currency = serializers.CharField()
    group_by = serializers.CharField()
    rows = ForecastRowSerializer(many=True)
