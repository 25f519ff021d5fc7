from django.conf import settings
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Team
from accounts.selectors import managed_user_ids
from deals.access import deals_visible_to
from forecasting.api import serializers as s
from forecasting.models import Quota
from forecasting.quota_rules import TEAM, USER, quota_key
from forecasting.selectors import forecast_live
from forecasting.services.quotas import quotas_save
from pipelinecrm.api_base import AdminWritesOnly, ScopedQuerysetMixin, is_admin, validated


@extend_schema_view(
    create=extend_schema(request=s.QuotaCreateSerializer, responses={201: s.QuotaSerializer}),
    partial_update=extend_schema(request=s.QuotaUpdateSerializer),
)
class QuotaViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A user's quota is visible to that user, to the managers of their teams and to
    admins; a team's quota to the team's members and managers. Admins set quotas, through
    the service the quota grid uses (it writes the audit entries)."""

    queryset = Quota.objects.none()
    serializer_class = s.QuotaSerializer
    permission_classes = [AdminWritesOnly]
    filterset_fields = ["user", "team", "month"]
    ordering_fields = ["month", "amount"]
    ordering = ["month"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, user):
        quotas = Quota.objects.all()
        if is_admin(user):
            return quotas
        own_teams = Team.objects.filter(memberships__user=user).values("pk")
        return quotas.filter(
            Q(user=user) | Q(user__in=managed_user_ids(user=user)) | Q(team__in=own_teams)
        )

    def create(self, request):
        data = validated(s.QuotaCreateSerializer, request)
        user, team = data.get("user"), data.get("team")
        key = (USER, user.pk, data["month"]) if user else (TEAM, team.pk, data["month"])
        quotas_save(actor=request.user, amounts={key: data["amount"]})
        owner = {"user": user} if user else {"team": team}
        quota = Quota.objects.get(month=data["month"], **owner)
        return Response(s.QuotaSerializer(quota).data, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        quota = self.get_object()
        data = validated(s.QuotaUpdateSerializer, request)
        quotas_save(actor=request.user, amounts={quota_key(quota): data["amount"]})
        quota.refresh_from_db()
        return Response(s.QuotaSerializer(quota).data)

    def destroy(self, request, pk=None):
        quotas_save(actor=request.user, amounts={quota_key(self.get_object()): None})
        return Response(status=status.HTTP_204_NO_CONTENT)


class ForecastView(APIView):
    """The forecast of the deals you can see, computed live with the snapshot job's own
    definition (docs/domain/stalls-and-forecast.md):
    weighted open, open and won amounts per group."""

    @extend_schema(
        summary="Live forecast",
        parameters=[s.ForecastQuerySerializer],
        responses={200: s.ForecastSerializer},
    )
    def get(self, request):
        query = s.ForecastQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        deals = deals_visible_to(request.user)
        if params.get("pipeline"):
            deals = deals.filter(pipeline=params["pipeline"])
        rows = forecast_live(
            deals_queryset=deals,
            group_by=params["group_by"],
            date_from=params.get("from"),
            date_to=params.get("to"),
        )
        forecast = {"currency": settings.CURRENCY, "group_by": params["group_by"], "rows": rows}
        return Response(s.ForecastSerializer(forecast).data)
