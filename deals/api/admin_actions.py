"""Admin actions that span apps, on the API as in the admin pages: removing a stage with
its open deals moved elsewhere, and deactivating a user with a handover of their open
work (docs/deal-actions.md).

They live with the deals because they move and reassign deals (deals/services/
stage_removal.py, deals/services/handover.py); the lower apps' own APIs (pipelines,
accounts) must not import deals. Each object comes from the lower app's visibility rule,
so a manager or rep gets 404 for what they cannot see and 403 for what they can.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import UserSerializer
from accounts.models import User
from accounts.selectors import users_visible_to
from deals.services.handover import user_offboard
from deals.services.stage_removal import stage_remove
from pipelinecrm.api_base import (
    INVALID,
    AdminWritesOnly,
    ErrorSerializer,
    RelatedIdField,
    ScopedQuerysetMixin,
    StrictSerializer,
    validated,
)
from pipelines.models import Stage
from pipelines.selectors import stages_visible_to

ADMINS_ONLY = OpenApiResponse(ErrorSerializer, description="Only an admin can do this.")


class StageRemoveSerializer(StrictSerializer):
    target = RelatedIdField(
        queryset=Stage.objects.all(),
        required=False,
        allow_null=True,
        help_text="The active stage of the same pipeline that takes its open deals "
        "(required when it holds any). They move through the normal move, as you, with "
        "the override reason “Stage '…' removed by admin”.",
    )


class StageRemovedSerializer(serializers.Serializer):
    stage_name = serializers.CharField()
    archived = serializers.BooleanField(
        help_text="true: history refers to the stage, so it is archived (kept for "
        "reports); false: it was deleted."
    )
    deals_moved = serializers.IntegerField()
    target = serializers.IntegerField(source="target.pk", allow_null=True, default=None)


class UserDeactivateSerializer(StrictSerializer):
    deals_to = RelatedIdField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="The active user who takes over their open deals (required when they have any).",
    )
    activities_to = RelatedIdField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="The active user who takes over their open activities (required when "
        "they have any).",
    )


class DeactivatedSerializer(serializers.Serializer):
    user = UserSerializer()
    deals = serializers.IntegerField(help_text="Open deals handed over.")
    activities = serializers.IntegerField(help_text="Open activities handed over.")


class StageRemovalViewSet(ScopedQuerysetMixin, viewsets.GenericViewSet):
    queryset = Stage.objects.none()
    permission_classes = [AdminWritesOnly]
    serializer_class = StageRemoveSerializer

    def scoped_queryset(self, user):
        return stages_visible_to(user)

    @extend_schema(
        summary="Remove a stage; its open deals move to another stage",
        request=StageRemoveSerializer,
        responses={200: StageRemovedSerializer, 400: INVALID, 403: ADMINS_ONLY},
    )
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        stage = self.get_object()
        data = validated(StageRemoveSerializer, request)
        removal = stage_remove(actor=request.user, stage=stage, target=data.get("target"))
        return Response(StageRemovedSerializer(removal).data)


class UserDeactivationViewSet(ScopedQuerysetMixin, viewsets.GenericViewSet):
    queryset = User.objects.none()
    permission_classes = [AdminWritesOnly]
    serializer_class = UserDeactivateSerializer

    def scoped_queryset(self, user):
        return users_visible_to(user)

    @extend_schema(
        summary="Deactivate a user, handing over their open deals and activities",
        request=UserDeactivateSerializer,
        responses={200: DeactivatedSerializer, 400: INVALID, 403: ADMINS_ONLY},
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        user = self.get_object()
        data = validated(UserDeactivateSerializer, request)
        result = user_offboard(
            actor=request.user,
            user=user,
            deals_to=data.get("deals_to"),
            activities_to=data.get("activities_to"),
        )
        return Response(DeactivatedSerializer(result).data)
