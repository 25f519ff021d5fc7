"""Tokens, users and teams. Admin changes go through accounts/services.py, which checks
the role again and writes the audit entry (docs/domain/admin-pages.md)."""

import logging

from django.contrib.auth import authenticate
from django.db.models import Q
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from redis.exceptions import RedisError
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.api import serializers as s
from accounts.api.tokens import api_token_create
from accounts.models import ApiToken, Role, Team, User
from accounts.selectors import team_people_ids, users_visible_to
from pipelinecrm.api_base import (
    AdminWritesOnly,
    ErrorSerializer,
    ScopedQuerysetMixin,
    current_or,
    validated,
)

logger = logging.getLogger(__name__)


class TokenRateThrottle(ScopedRateThrottle):
    """The token endpoint's rate limit, counted in the cache (Redis).

    With Redis down the request goes through rather than failing: the web app keeps
    working without Redis (docs/domain/stalls-and-forecast.md),
    and django-axes, which counts failed passwords
    in the database, still locks out guessing.
    """

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("Rate limit not applied: the cache is unavailable.", exc_info=True)
            return True


class TokenObtainView(APIView):
    """Trade a username and password for a new API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]
    throttle_scope = "api-token"

    @extend_schema(
        operation_id="auth_token_create",
        request=s.TokenObtainSerializer,
        responses={
            201: s.TokenCreatedSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Wrong username or password, invalid input, or already the most "
                "active tokens allowed.",
            ),
            429: OpenApiResponse(
                ErrorSerializer, description="Too many attempts; wait and try again."
            ),
        },
        auth=[],
    )
    def post(self, request):
        data = validated(s.TokenObtainSerializer, request)
        # django-axes counts failures (and locks out) per username and address, shared
        # with the login page; it needs Django's request, not DRF's wrapper.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if getattr(request._request, "axes_locked_out", False):
            # Answer the lockout in JSON here; otherwise axes' middleware would replace the
            # answer with the login page's HTML lockout page.
            request._request.axes_locked_out = False
            raise Throttled(detail=_("Too many failed sign-ins. Try again later."))
        if user is None:
            raise ValidationError({"non_field_errors": [_("Wrong username or password.")]})
        return _token_created(user=user, data=data)


def _token_created(*, user: User, data: dict) -> Response:
    token, key = api_token_create(
        user=user, name=data.get("name", ""), expires_in_days=data.get("expires_in_days")
    )
    body = {
        "token": key,
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at,
    }
    return Response(s.TokenCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


TOKEN_LIMIT_RESPONSE = OpenApiResponse(
    ErrorSerializer, description="Invalid input, or already the most active tokens allowed."
)


@extend_schema_view(
    list=extend_schema(summary="Your API tokens (never their keys), expired ones included"),
    create=extend_schema(
        summary="Create another token for yourself",
        request=s.TokenCreateSerializer,
        responses={201: s.TokenCreatedSerializer, 400: TOKEN_LIMIT_RESPONSE},
    ),
    destroy=extend_schema(summary="Revoke one of your tokens"),
)
class ApiTokenViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = ApiToken.objects.none()
    serializer_class = s.ApiTokenSerializer
    ordering_fields = ["created_at", "last_used_at", "name", "expires_at"]
    ordering = ["-created_at"]

    def scoped_queryset(self, user):
        return ApiToken.objects.filter(user=user)

    def create(self, request):
        return _token_created(user=request.user, data=validated(s.TokenCreateSerializer, request))


class UserFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", max_length=100, help_text="Part of a name.")
    role = filters.ChoiceFilter(choices=Role.choices)
    team = filters.NumberFilter(
        field_name="memberships__team", min_value=1, help_text="Users in this team."
    )

    class Meta:
        model = User
        fields = ["q", "role", "team"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        )


@extend_schema_view(
    create=extend_schema(request=s.UserCreateSerializer, responses={201: s.UserCreatedSerializer}),
    partial_update=extend_schema(request=s.UserUpdateSerializer),
)
class UserViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Everyone lists the active users; admins also see deactivated ones, create users and
    change names, email and role. Deactivating hands the user's open deals over to someone,
    so it lives with the deals: ``POST users/{id}/deactivate/`` in deals/api."""

    queryset = User.objects.none()
    serializer_class = s.UserSerializer
    permission_classes = [AdminWritesOnly]
    filterset_class = UserFilter
    ordering_fields = ["username", "first_name", "last_name"]
    ordering = ["username"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self, user):
        return users_visible_to(user)

    def create(self, request):
        data = validated(s.UserCreateSerializer, request)
        created = services.user_create(
            actor=request.user, site_url=request.build_absolute_uri("/"), **data
        )
        created.user.one_time_password = created.one_time_password
        return Response(s.UserCreatedSerializer(created.user).data, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        user = self.get_object()
        data = validated(s.UserUpdateSerializer, request)
        role = data.pop("role", None)
        if data:
            fields = current_or(data, user, "first_name", "last_name", "email")
            user = services.user_update(actor=request.user, user=user, **fields)
        if role is not None:
            user = services.user_set_role(actor=request.user, user=user, role=role)
        return Response(s.UserSerializer(user).data)


@extend_schema_view(
    create=extend_schema(request=s.TeamWriteSerializer, responses={201: s.TeamSerializer}),
    partial_update=extend_schema(request=s.TeamUpdateSerializer),
)
class TeamViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Everyone lists the teams with their managers and members; admins change them."""

    queryset = Team.objects.none()
    serializer_class = s.TeamSerializer
    permission_classes = [AdminWritesOnly]
    ordering_fields = ["name"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, user):
        return Team.objects.prefetch_related("memberships")

    def _answer(self, team: Team, code: int = status.HTTP_200_OK) -> Response:
        team = self.scoped_queryset(self.request.user).get(pk=team.pk)
        return Response(s.TeamSerializer(team).data, code)

    def create(self, request):
        data = validated(s.TeamWriteSerializer, request)
        team = services.team_create(
            actor=request.user,
            name=data["name"],
            manager_ids=data.get("managers", []),
            member_ids=data.get("members", []),
        )
        return self._answer(team, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        team = self.get_object()
        data = validated(s.TeamUpdateSerializer, request)
        current = team_people_ids(team)
        team = services.team_update(
            actor=request.user,
            team=team,
            name=data.get("name", team.name),
            manager_ids=data.get("managers", current["managers"]),
            member_ids=data.get("members", current["members"]),
        )
        return self._answer(team)

    def destroy(self, request, pk=None):
        services.team_delete(actor=request.user, team=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
