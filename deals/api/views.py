"""Deals and what hangs off them. Every write calls the service the pages call; every
queryset comes from deals/access.py, so an invisible deal is a 404 here as everywhere.

A little over the 400 lines we aim for: most of it is the OpenAPI description of each
action (its bodies and its 400/403/404/409 answers), which belongs beside the action it
documents; the logic of each viewset is a few lines that call a service.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from deals.access import (
    deal_get_visible_or_404,
    deal_owner_choices,
    deals_visible_to,
    ensure_editable,
    is_editable_by,
    visible_through_deal,
)
from deals.api import serializers as s
from deals.api.custom_fields import keep_field_types, with_field_types
from deals.api.filters import (
    ActivityFilter,
    DealFilter,
    NotificationFilter,
    OrganizationFilter,
    PersonFilter,
)
from deals.models import Activity, Deal, DealEvent, LostReason, Notification, Organization, Person
from deals.selectors.board import board_columns, card_models, decorate_moved
from deals.selectors.filters import BoardFilters, deals_with_figures, with_figures
from deals.selectors.notifications import notifications_for
from deals.services.activities import activity_delete, activity_log, activity_set_done
from deals.services.checklist import checklist_item_check, checklist_item_uncheck
from deals.services.contacts import organization_delete, person_delete
from deals.services.deal_forms import deal_edit
from deals.services.deals import deal_create
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move, deal_reopen
from pipelinecrm.api_base import (
    INVALID,
    AdminDeletesOnly,
    ChecklistIncompleteSerializer,
    ErrorSerializer,
    ScopedQuerysetMixin,
    VersionConflictSerializer,
    validated,
)
from pipelinecrm.exceptions import Forbidden
from pipelines.models import ChecklistItem, Pipeline

VERSION_CONFLICT = OpenApiResponse(
    VersionConflictSerializer, description="The deal changed since you read it."
)
MOVE_REFUSED = OpenApiResponse(
    PolymorphicProxySerializer(
        component_name="MoveRefused",
        serializers=[ChecklistIncompleteSerializer, VersionConflictSerializer],
        resource_type_field_name=None,
    ),
    description="Required checklist items are missing, or the deal changed since you read it.",
)
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="You see the deal but may not change it.")
ITEM_ID = OpenApiParameter("item_id", int, OpenApiParameter.PATH, description="Checklist item")
IN_USE = OpenApiResponse(ErrorSerializer, description="Refused: deals or people still use it.")


# The actions that change the deal of the URL (``_editable_deal``).
EDITS = {"partial_update", "move", "won", "lost", "reopen", "checklist"}


def _action_schema(request, refusals: dict, summary: str):
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: s.DealSerializer, 400: INVALID, 403: FORBIDDEN, **refusals},
    )


@extend_schema_view(
    list=extend_schema(summary="Deals you can see"),
    retrieve=extend_schema(summary="One deal"),
)
class DealViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Deal.objects.none()
    serializer_class = s.DealSerializer
    filterset_class = DealFilter
    ordering_fields = [
        "created_at",
        "updated_at",
        "title",
        "value",
        "expected_close_date",
        "stage_entered_at",
        "last_activity_at",
        "position",
    ]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, user):
        deals = deals_with_figures(deals_visible_to(user))
        # One deal: its custom fields' definitions in the same statement (a list reads
        # them once for the page, deals/api/custom_fields.py).
        return deals if self.action == "list" else with_field_types(deals)

    def get_queryset(self):
        deals = super().get_queryset()
        if self.action in EDITS and not getattr(self, "swagger_fake_view", False):
            # Whether the user may change the deal comes with it (deals/access.py).
            deals = deals.annotate(is_editable=is_editable_by(self.request.user))
        return deals

    def _answer(self, deal: Deal, code: int = status.HTTP_200_OK) -> Response:
        """The deal as it is now, re-read with its figures."""
        fresh = self.scoped_queryset(self.request.user).get(pk=deal.pk)
        return Response(s.DealSerializer(fresh, context=self.get_serializer_context()).data, code)

    def _editable_deal(self) -> Deal:
        """The deal of the URL: 404 if invisible, 403 if visible but not editable.

        Checked before the body, so a read-only viewer is told "not allowed" rather than
        about field errors; the services check again under their locks.
        """
        deal = self.get_object()
        ensure_editable(deal)
        return deal

    @extend_schema(
        summary="Create a deal (at the top of its stage)",
        request=s.DealCreateSerializer,
        responses={201: s.DealSerializer, 400: INVALID, 403: FORBIDDEN},
    )
    def create(self, request):
        data = validated(s.DealCreateSerializer, request)
        owner = data.pop("owner", request.user)
        if not deal_owner_choices(request.user).filter(pk=owner.pk).exists():
            raise Forbidden(_("You can create deals for yourself and for the teams you manage."))
        deal = deal_create(user=request.user, owner=owner, **data)
        return self._answer(deal, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit fields and/or reassign (owner)",
        request=s.DealUpdateSerializer,
        responses={200: s.DealSerializer, 400: INVALID, 403: FORBIDDEN, 409: VERSION_CONFLICT},
    )
    def partial_update(self, request, pk=None):
        deal = self._editable_deal()
        body = s.DealUpdateSerializer(data=request.data, context={"request": request, "deal": deal})
        body.is_valid(raise_exception=True)
        deal = deal_edit(user=request.user, deal=deal, **body.validated_data)
        return self._answer(deal)

    @_action_schema(
        s.MoveSerializer, {409: MOVE_REFUSED}, "Move to a stage (at an index or by a neighbour)"
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        deal = self._editable_deal()
        data = validated(s.MoveSerializer, request)
        result = deal_move(
            user=request.user,
            deal=deal,
            stage=data["stage"],
            version=data["version"],
            position=data.get("position"),
            before=data.get("before"),
            after=data.get("after"),
            pipeline=data.get("pipeline"),
            override_reason=data.get("override_reason", ""),
        )
        # The deal as the move left it (read under its lock, with its stage), not read
        # again; the mover may edit it and it is open: its checklist progress in one query.
        moved = keep_field_types(decorate_moved(with_figures(result.deal)), read=deal)
        return Response(s.DealSerializer(moved, context=self.get_serializer_context()).data)

    @_action_schema(s.WonSerializer, {409: MOVE_REFUSED}, "Mark won")
    @action(detail=True, methods=["post"])
    def won(self, request, pk=None):
        deal = self._editable_deal()
        data = validated(s.WonSerializer, request)
        deal = deal_mark_won(
            user=request.user,
            deal=deal,
            version=data["version"],
            override_reason=data.get("override_reason", ""),
        )
        return self._answer(deal)

    @_action_schema(s.LostSerializer, {409: VERSION_CONFLICT}, "Mark lost, with a reason")
    @action(detail=True, methods=["post"])
    def lost(self, request, pk=None):
        deal = self._editable_deal()
        data = validated(s.LostSerializer, request)
        deal = deal_mark_lost(
            user=request.user,
            deal=deal,
            version=data["version"],
            reason=data["reason"],
            note=data.get("note", ""),
        )
        return self._answer(deal)

    @_action_schema(s.VersionSerializer, {409: VERSION_CONFLICT}, "Reopen a won or lost deal")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        deal = self._editable_deal()
        data = validated(s.VersionSerializer, request)
        deal = deal_reopen(user=request.user, deal=deal, version=data["version"])
        return self._answer(deal)

    @extend_schema(
        methods=["POST"],
        summary="Tick a manual checklist item",
        parameters=[ITEM_ID],
        request=s.ChecklistTickSerializer,
        responses={200: s.DealSerializer, 400: INVALID, 403: FORBIDDEN, 409: VERSION_CONFLICT},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Untick a manual checklist item",
        parameters=[ITEM_ID, s.VersionQuerySerializer],
        request=None,
        responses={200: s.DealSerializer, 400: INVALID, 403: FORBIDDEN, 409: VERSION_CONFLICT},
    )
    @action(detail=True, methods=["post", "delete"], url_path=r"checklist/(?P<item_id>[^/.]+)")
    def checklist(self, request, pk=None, item_id=None):
        deal = self._editable_deal()
        if request.method == "POST":
            version = validated(s.ChecklistTickSerializer, request).get("version")
        else:
            query = s.VersionQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            version = query.validated_data.get("version")
        item = get_object_or_404(ChecklistItem.objects.select_related("stage"), pk=_int(item_id))
        tick = checklist_item_check if request.method == "POST" else checklist_item_uncheck
        deal = tick(user=request.user, deal=deal, item=item, version=version)
        return self._answer(deal)


def _int(value: str) -> int:
    """A URL's id as an int; anything else matches no object (and answers 404)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0


@extend_schema_view(
    list=extend_schema(
        summary="A deal's timeline, newest first",
        parameters=[OpenApiParameter("deal_id", int, OpenApiParameter.PATH)],
    )
)
class DealEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = DealEvent.objects.none()
    serializer_class = s.DealEventSerializer
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        deal = deal_get_visible_or_404(self.request.user, _int(self.kwargs["deal_id"]))
        return DealEvent.objects.filter(deal=deal)


class BoardView(APIView):
    """A pipeline's board: columns with totals over the whole (filtered) column and its
    first cards, exactly as the board page computes them."""

    @extend_schema(
        summary="Board of a pipeline",
        parameters=[
            OpenApiParameter("pipeline_id", int, OpenApiParameter.PATH),
            s.BoardQuerySerializer,
        ],
        responses={200: s.BoardSerializer, 400: INVALID},
    )
    def get(self, request, pipeline_id: str):
        pipeline = get_object_or_404(Pipeline, pk=_int(pipeline_id), is_active=True)
        query = s.BoardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        filters = BoardFilters(
            owner=params.get("owner", ""),
            stalled=params["stalled"],
            closing_this_month=params.get("closing") == "month",
            q=params.get("q", "").strip(),
        )
        columns = board_columns(
            pipeline=pipeline,
            user=request.user,
            filters=filters,
            limit=params.get("limit", settings.BOARD_PAGE_SIZE),
            read=card_models,
        )
        board = {"pipeline": pipeline, "currency": settings.CURRENCY, "columns": columns}
        return Response(s.BoardSerializer(board, context={"request": request}).data)


class LostReasonViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The reasons a deal can be marked lost with (admins maintain them)."""

    queryset = LostReason.objects.none()
    serializer_class = s.LostReasonSerializer
    ordering_fields = ["position", "name"]
    ordering = ["position", "name"]

    def scoped_queryset(self, user):
        return LostReason.objects.filter(is_active=True)


class SharedRecordViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    """Organizations and people belong to the whole company: everyone reads, creates and
    edits them; only admins delete them, and only once nothing refers to them
    (docs/domain/roles-and-visibility.md)."""

    permission_classes = [IsAuthenticated, AdminDeletesOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def scoped_queryset(self, user):
        return self.queryset.model.objects.all()


@extend_schema_view(destroy=extend_schema(responses={204: None, 400: IN_USE}))
class OrganizationViewSet(SharedRecordViewSet):
    queryset = Organization.objects.none()
    serializer_class = s.OrganizationSerializer
    filterset_class = OrganizationFilter

    def perform_destroy(self, instance):
        organization_delete(user=self.request.user, organization=instance)


@extend_schema_view(destroy=extend_schema(responses={204: None, 400: IN_USE}))
class PersonViewSet(SharedRecordViewSet):
    queryset = Person.objects.none()
    serializer_class = s.PersonSerializer
    filterset_class = PersonFilter

    def perform_destroy(self, instance):
        person_delete(user=self.request.user, person=instance)


@extend_schema_view(
    create=extend_schema(
        summary="Log a done activity, or schedule one",
        request=s.ActivityCreateSerializer,
        responses={201: s.ActivitySerializer, 403: FORBIDDEN, 409: VERSION_CONFLICT},
    ),
    partial_update=extend_schema(
        summary="Mark done now, or undo that",
        request=s.ActivityUpdateSerializer,
        responses={200: s.ActivitySerializer, 403: FORBIDDEN},
    ),
    destroy=extend_schema(responses={204: None, 403: FORBIDDEN}),
)
class ActivityViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Activities follow their deal: visible with it, changed by whoever may edit it."""

    queryset = Activity.objects.none()
    serializer_class = s.ActivitySerializer
    filterset_class = ActivityFilter
    ordering_fields = ["due_at", "done_at", "created_at"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, user):
        return visible_through_deal(Activity.objects.all(), user)

    def _answer(self, activity: Activity, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.ActivitySerializer(activity).data, code)

    def create(self, request):
        data = validated(s.ActivityCreateSerializer, request)
        activity = activity_log(user=request.user, **data)
        return self._answer(activity, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        activity = self.get_object()
        done = validated(s.ActivityUpdateSerializer, request)["done"]
        activity = activity_set_done(user=request.user, activity=activity, done=done)
        return self._answer(activity)

    def destroy(self, request, pk=None):
        activity_delete(user=request.user, activity=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    mark_all_read=extend_schema(request=None, responses={200: s.MarkedReadSerializer}),
)
class NotificationViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Your notifications; nobody else's exist for you."""

    queryset = Notification.objects.none()
    serializer_class = s.NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self, user):
        return notifications_for(user)

    @action(detail=False, methods=["post"], url_path="mark-all-read")
    def mark_all_read(self, request):
        updated = self.get_queryset().filter(is_read=False).update(is_read=True)
        return Response({"updated": updated})
