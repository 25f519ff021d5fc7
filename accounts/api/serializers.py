from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.tokens import MAX_EXPIRY_DAYS
from accounts.models import ApiToken, Role, Team, User
from accounts.selectors import team_people_ids
from accounts.services import UserAccess
from pipelinecrm.api_base import StrictSerializer, id_field


class TokenCreateSerializer(StrictSerializer):
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="To tell your tokens apart."
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        allow_null=True,
        help_text=f"The token stops working after this many days (1–{MAX_EXPIRY_DAYS}); "
        "leave out for a token that lives until revoked.",
    )


class TokenObtainSerializer(TokenCreateSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenCreatedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key. It is shown only this once.")
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Null: never expires.")


class ApiTokenSerializer(serializers.ModelSerializer):
    expired = serializers.BooleanField(
        source="is_expired", read_only=True, help_text="An expired token authenticates nobody."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "expired"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "display_name", "role", "is_active"]
        read_only_fields = fields


class UserCreatedSerializer(UserSerializer):
    one_time_password = serializers.CharField(
        allow_null=True,
        read_only=True,
        help_text="With access `password`: the password to pass on, shown only this once.",
    )

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "one_time_password"]
        read_only_fields = fields


class UserUpdateSerializer(StrictSerializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class UserCreateSerializer(UserUpdateSerializer):
    """New users choose their password through an emailed link (``invite``, the default)
    or receive a one-time password from the admin (``password``)."""

    username = serializers.CharField(max_length=150)
    access = serializers.ChoiceField(choices=UserAccess.choices, required=False)


class TeamSerializer(serializers.ModelSerializer):
    managers = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "managers", "members"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_managers(self, team: Team) -> list[int]:
        return team_people_ids(team)["managers"]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_members(self, team: Team) -> list[int]:
        return team_people_ids(team)["members"]


class TeamWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    managers = serializers.ListField(
        child=id_field(),
        max_length=500,
        required=False,
        help_text="Ids of the users who manage the team (role manager or admin).",
    )
    members = serializers.ListField(child=id_field(), max_length=500, required=False)


class TeamUpdateSerializer(TeamWriteSerializer):
    """Lists given replace the team's managers or members; lists left out stay."""

    name = serializers.CharField(max_length=100, required=False)
