"""Webhook subscriptions and their deliveries in the API (docs/domain/webhooks.md, "Admin
page and API"; docs/domain/api.md): admins only, through the services of the admin pages.

Anyone else gets 403 on the lists and on create, and 404 on a subscription or delivery
(they cannot see any). The secret is part of a subscription as admins read it, as on the
admin page: an admin configures the receiving system with it.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from integrations import services
from integrations.models import EventType, WebhookDelivery, WebhookSubscription
from integrations.selectors import delivery_log
from pipelinecrm.api_base import (
    INVALID,
    AllFieldsOptionalMixin,
    ErrorSerializer,
    RelatedIdField,
    ScopedQuerysetMixin,
    StrictSerializer,
    current_or,
    is_admin,
    validated,
)
from pipelines.models import Pipeline

ADMINS_ONLY = OpenApiResponse(ErrorSerializer, description="Only an admin can do this.")
REFUSED = OpenApiResponse(ErrorSerializer, description="Refused; the message says why.")


class AdminsOnly(IsAuthenticated):
    """Admins only. Lists and creation answer 403 to anyone else; an object's own path
    404, as the object is not visible to them (the view's queryset is empty)."""

    message = gettext_lazy("Only an admin can manage webhooks.")

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return is_admin(request.user) or getattr(view, "detail", False)


# -- serializers ---------------------------------------------------------------------------


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        help_text="The event types sent to the URL.",
    )
    pipeline = serializers.IntegerField(
        source="pipeline_id",
        read_only=True,
        allow_null=True,
        help_text="Only this pipeline's deals; null: every pipeline.",
    )
    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every delivery: `X-PipelineCRM-Signature: t=<unix seconds>,"
        "v1=<hex HMAC-SHA256 of “t.body”>`. `rotate-secret` makes a new one.",
    )
    paused_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Set when deliveries kept failing; `resume` clears it.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "events",
            "pipeline",
            "secret",
            "is_active",
            "paused_at",
            "pause_reason",
            "consecutive_failures",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class WebhookCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(
        max_length=500,
        help_text="https:// (http:// only where the server allows it); the host must "
        "resolve to a public address.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        max_length=len(EventType.values) * 2,
        help_text="At least one event type.",
    )
    pipeline = RelatedIdField(
        queryset=Pipeline.objects.all(),
        required=False,
        allow_null=True,
        help_text="Only this pipeline's deals; leave out or null for every pipeline.",
    )


class WebhookUpdateSerializer(AllFieldsOptionalMixin, WebhookCreateSerializer):
    is_active = serializers.BooleanField(
        help_text="false: no new deliveries are made for it; true: active again."
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(
        help_text="One of the subscription's event types, or `ping` for a test event."
    )
    deal = serializers.IntegerField(
        source="deal_id", allow_null=True, help_text="The deal it is about; null for a test."
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_id",
            "event_type",
            "deal",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "response_code",
            "latency_ms",
            "error",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    payload = serializers.JSONField(help_text="The JSON body sent, the same at every attempt.")

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "payload"]
        read_only_fields = fields


STATUS_FILTER = OpenApiParameter(
    "status",
    str,
    enum=WebhookDelivery.Status.values,
    description="Only the deliveries of this status.",
)


# -- views ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Webhook subscriptions (admins)",
        responses={200: WebhookSubscriptionSerializer(many=True), 403: ADMINS_ONLY},
    ),
    retrieve=extend_schema(summary="A webhook subscription, with its secret"),
    create=extend_schema(
        summary="Subscribe a URL to events",
        request=WebhookCreateSerializer,
        responses={201: WebhookSubscriptionSerializer, 400: INVALID, 403: ADMINS_ONLY},
    ),
    partial_update=extend_schema(
        summary="Change a subscription, or (is_active) deactivate or activate it",
        request=WebhookUpdateSerializer,
        responses={200: WebhookSubscriptionSerializer, 400: INVALID},
    ),
    destroy=extend_schema(
        summary="Delete a subscription, its delivery log and the automations sending to it",
        responses={204: None},
    ),
)
class WebhookViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook subscriptions (docs/domain/webhooks.md): a URL, the event types it wants,
    optionally one pipeline's deals only. Admins only; the secret is included."""

    queryset = WebhookSubscription.objects.none()
    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [AdminsOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["is_active", "pipeline"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def scoped_queryset(self, user):
        if not is_admin(user):
            return WebhookSubscription.objects.none()
        return WebhookSubscription.objects.all()

    def answer(self, subscription, code: int = status.HTTP_200_OK) -> Response:
        subscription = WebhookSubscription.objects.get(pk=subscription.pk)
        return Response(WebhookSubscriptionSerializer(subscription).data, code)

    def create(self, request):
        data = validated(WebhookCreateSerializer, request)
        subscription = services.subscription_create(actor=request.user, **data)
        return self.answer(subscription, status.HTTP_201_CREATED)

    @transaction.atomic
    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = validated(WebhookUpdateSerializer, request)
        active = data.pop("is_active", subscription.is_active)
        if data:
            values = current_or(data, subscription, "name", "url", "events", "pipeline")
            subscription = services.subscription_update(
                actor=request.user, subscription=subscription, **values
            )
        if active != subscription.is_active:
            subscription = services.subscription_set_active(
                actor=request.user, subscription=subscription, is_active=active
            )
        return self.answer(subscription)

    def destroy(self, request, pk=None):
        services.subscription_delete(actor=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Queue a test event (`ping`) to the subscription",
        request=None,
        responses={202: WebhookDeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        delivery = services.subscription_send_test(
            actor=request.user, subscription=self.get_object()
        )
        return Response(WebhookDeliverySerializer(delivery).data, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Resume a paused subscription: what is still pending goes out",
        request=None,
        responses={200: WebhookSubscriptionSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        subscription = self.get_object()
        services.subscription_resume_by(actor=request.user, subscription=subscription)
        return self.answer(subscription)

    @extend_schema(
        summary="Make a new secret (the receiver must switch to it)",
        request=None,
        responses={200: WebhookSubscriptionSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        subscription = services.subscription_rotate_secret(
            actor=request.user, subscription=self.get_object()
        )
        return self.answer(subscription)

    @extend_schema(
        summary="The subscription's delivery log, newest first",
        parameters=[STATUS_FILTER],
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=WebhookDeliverySerializer,
    )
    def deliveries(self, request, pk=None):
        """Status, attempts, response code, latency and last error of each delivery;
        the payload is on ``/webhook-deliveries/{id}/``."""
        subscription = self.get_object()
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in WebhookDelivery.Status.values:
            raise serializers.ValidationError({"status": [_("Not a delivery status.")]})
        page = self.paginate_queryset(delivery_log(subscription, status=wanted))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(summary="A delivery, with the payload sent"),
)
class WebhookDeliveryViewSet(
    ScopedQuerysetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """One event for one subscription and its attempts so far (admins only)."""

    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliveryDetailSerializer
    permission_classes = [AdminsOnly]

    def scoped_queryset(self, user):
        if not is_admin(user):
            return WebhookDelivery.objects.none()
        return WebhookDelivery.objects.all()

    @extend_schema(
        summary="Send a delivered or failed delivery again (same event id and payload)",
        request=None,
        responses={202: WebhookDeliverySerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.delivery_redeliver(
            actor=request.user, webhook_delivery=self.get_object()
        )
        return Response(WebhookDeliverySerializer(delivery).data, status.HTTP_202_ACCEPTED)
