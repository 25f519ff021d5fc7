"""Pipelines, stages and checklist items: everyone reads what is active, admins also see
what is archived and change things, through the services the stage designer uses."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from pipelinecrm.api_base import (
    INVALID,
    AdminWritesOnly,
    ErrorSerializer,
    ScopedQuerysetMixin,
    current_or,
    is_admin,
    validated,
)
from pipelines import services
from pipelines.api import serializers as s
from pipelines.models import ChecklistItem, Pipeline, Stage
from pipelines.selectors import pipelines_visible_to, stages_visible_to

IN_USE = OpenApiResponse(ErrorSerializer, description="Refused: history still refers to it.")


class AdminDesignedViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [AdminWritesOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def answer(self, obj, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(obj).data, code)


@extend_schema_view(
    create=extend_schema(request=s.PipelineCreateSerializer, responses={201: s.PipelineSerializer}),
    partial_update=extend_schema(request=s.PipelineUpdateSerializer),
    destroy=extend_schema(
        summary="Delete a pipeline that never held a deal (else archive it)",
        responses={204: None, 400: IN_USE},
    ),
)
class PipelineViewSet(AdminDesignedViewSet):
    queryset = Pipeline.objects.none()
    serializer_class = s.PipelineSerializer
    filterset_fields = ["visibility", "is_active"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def scoped_queryset(self, user):
        return pipelines_visible_to(user)

    def create(self, request):
        data = validated(s.PipelineCreateSerializer, request)
        pipeline = services.pipeline_create(actor=request.user, **data)
        return self.answer(pipeline, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        pipeline = self.get_object()
        data = validated(s.PipelineUpdateSerializer, request)
        active = data.pop("is_active", pipeline.is_active)
        if data:
            fields = current_or(
                data, pipeline, "name", "description", "visibility", "forward_jumps"
            )
            pipeline = services.pipeline_update(actor=request.user, pipeline=pipeline, **fields)
        if active != pipeline.is_active:
            pipeline = services.pipeline_set_active(
                actor=request.user, pipeline=pipeline, active=active
            )
        return self.answer(pipeline)

    def destroy(self, request, pk=None):
        services.pipeline_delete(actor=request.user, pipeline=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class StageFilter(filters.FilterSet):
    pipeline = filters.NumberFilter(min_value=1)

    class Meta:
        model = Stage
        fields = ["pipeline", "is_archived"]


@extend_schema_view(
    create=extend_schema(request=s.StageCreateSerializer, responses={201: s.StageSerializer}),
    partial_update=extend_schema(
        summary="Edit, archive, or reorder (position) a stage",
        request=s.StageUpdateSerializer,
        responses={200: s.StageSerializer, 400: INVALID},
    ),
)
class StageViewSet(AdminDesignedViewSet):
    queryset = Stage.objects.none()
    serializer_class = s.StageSerializer
    filterset_class = StageFilter
    ordering_fields = ["position", "name"]
    ordering = ["pipeline", "position"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self, user):
        return stages_visible_to(user)

    def create(self, request):
        data = validated(s.StageCreateSerializer, request)
        stage = services.stage_create(actor=request.user, **data)
        return self.answer(stage, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        stage = self.get_object()
        data = validated(s.StageUpdateSerializer, request)
        if "position" in data:
            services.stage_place(actor=request.user, stage=stage, position=data["position"])
            return self.answer(Stage.objects.get(pk=stage.pk))
        archive = data.pop("is_archived", False)
        if data:
            fields = current_or(
                data, stage, "name", "probability", "stall_threshold_days", "guidance"
            )
            stage = services.stage_update(actor=request.user, stage=stage, **fields)
        if archive:
            stage = services.stage_archive(actor=request.user, stage=stage)
        return self.answer(stage)


class ChecklistItemFilter(filters.FilterSet):
    stage = filters.NumberFilter(min_value=1)
    pipeline = filters.NumberFilter(field_name="stage__pipeline", min_value=1)

    class Meta:
        model = ChecklistItem
        fields = ["stage", "pipeline", "kind", "is_archived"]


@extend_schema_view(
    create=extend_schema(
        request=s.ChecklistItemCreateSerializer, responses={201: s.ChecklistItemSerializer}
    ),
    partial_update=extend_schema(
        summary="Edit or reorder (position) a checklist item",
        request=s.ChecklistItemPatchSerializer,
        responses={200: s.ChecklistItemSerializer, 400: INVALID},
    ),
    destroy=extend_schema(
        summary="Remove an item: deleted if no deal used it, else archived (kept for reports)",
        responses={204: None, 400: IN_USE},
    ),
)
class ChecklistItemViewSet(AdminDesignedViewSet):
    queryset = ChecklistItem.objects.none()
    serializer_class = s.ChecklistItemSerializer
    filterset_class = ChecklistItemFilter
    ordering_fields = ["position"]
    ordering = ["stage", "kind", "position"]

    def scoped_queryset(self, user):
        items = ChecklistItem.objects.all()
        if is_admin(user):
            return items
        return items.filter(
            is_archived=False, stage__is_archived=False, stage__pipeline__is_active=True
        )

    def create(self, request):
        data = validated(s.ChecklistItemCreateSerializer, request)
        item = services.checklist_item_create(actor=request.user, **data)
        return self.answer(item, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        item = self.get_object()
        data = validated(s.ChecklistItemPatchSerializer, request)
        if "position" in data:
            services.checklist_item_place(actor=request.user, item=item, position=data["position"])
            return self.answer(ChecklistItem.objects.get(pk=item.pk))
        fields = current_or(
            data, item, "text", "is_required", "satisfied_by", "field_name", "activity_kind"
        )
        item = services.checklist_item_update(actor=request.user, item=item, **fields)
        return self.answer(item)

    def destroy(self, request, pk=None):
        services.checklist_item_remove(actor=request.user, item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
