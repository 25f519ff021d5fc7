"""Pipelines, stages, checklist items and custom field definitions: everyone reads what is
active, admins also see what is archived and change things, through the services the
stage designer and the custom field pages use."""

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
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
from pipelines.models import ChecklistItem, CustomField, CustomFieldOption, Pipeline, Stage
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
            data,
            item,
            "text",
            "is_required",
            "satisfied_by",
            "field_name",
            "activity_kind",
            "custom_field",
            "condition",
            "condition_value",
        )
        item = services.checklist_item_update(actor=request.user, item=item, **fields)
        return self.answer(item)

    def destroy(self, request, pk=None):
        services.checklist_item_remove(actor=request.user, item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomFieldFilter(filters.FilterSet):
    pipeline = filters.NumberFilter(
        method="on_deals_of",
        min_value=1,
        help_text="The fields on this pipeline's deals: its own and those for every pipeline.",
    )
    archived = filters.BooleanFilter(
        method="with_archived",
        help_text="Admins: also list archived fields (1). Others always get active ones.",
    )

    class Meta:
        model = CustomField
        fields = ["pipeline", "type", "archived"]

    def on_deals_of(self, queryset, name, value):
        return queryset.filter(Q(pipeline_id=value) | Q(pipeline=None))

    def with_archived(self, queryset, name, value):
        return queryset  # the view leaves archived fields out of lists unless asked


OPTION_KEY = OpenApiParameter(
    "option_key", str, OpenApiParameter.PATH, description="The option's key."
)


@extend_schema_view(
    list=extend_schema(
        summary="The custom field definitions (active; admins add ?archived=1)",
    ),
    create=extend_schema(
        request=s.CustomFieldCreateSerializer, responses={201: s.CustomFieldSerializer}
    ),
    partial_update=extend_schema(
        summary="Rename, edit, archive or restore, or reorder (position) a custom field",
        request=s.CustomFieldUpdateSerializer,
        responses={200: s.CustomFieldSerializer, 400: INVALID},
    ),
    destroy=extend_schema(
        summary="Delete a field no deal holds a value of and no checklist item names",
        responses={204: None, 400: IN_USE},
    ),
)
class CustomFieldViewSet(AdminDesignedViewSet):
    """Custom field definitions (docs/domain/custom-fields.md). Every signed-in user reads
    the active ones (clients need them to show and send deals' ``custom_fields``); admins
    create, change, archive and delete them."""

    queryset = CustomField.objects.none()
    serializer_class = s.CustomFieldSerializer
    filterset_class = CustomFieldFilter
    ordering_fields = ["position", "name"]
    ordering = ["position"]

    def scoped_queryset(self, user):
        options = CustomFieldOption.objects.order_by("position", "pk")
        fields = CustomField.objects.select_related("pipeline").prefetch_related(
            Prefetch("options", queryset=options)
        )
        if not is_admin(user):
            return fields.filter(is_archived=False).filter(
                Q(pipeline=None) | Q(pipeline__is_active=True)
            )
        archived = self.request.query_params.get("archived", "").lower()
        if self.action == "list" and archived not in {"1", "true", "yes", "on"}:
            return fields.filter(is_archived=False)
        return fields

    def _fresh(self, field: CustomField) -> CustomField:
        return self.scoped_queryset(self.request.user).get(pk=field.pk)

    def create(self, request):
        data = validated(s.CustomFieldCreateSerializer, request)
        field = services.custom_field_create(actor=request.user, **data)
        return self.answer(self._fresh(field), status.HTTP_201_CREATED)

    @transaction.atomic
    def partial_update(self, request, pk=None):
        """One PATCH, one transaction: a refused restore leaves the rename undone too. The
        settings change first, so a field can be renamed and restored beside a namesake."""
        field = self.get_object()
        data = validated(s.CustomFieldUpdateSerializer, request)
        if "position" in data:
            services.custom_field_place(actor=request.user, field=field, position=data["position"])
            return self.answer(self._fresh(field))
        archive = data.pop("is_archived", field.is_archived)
        if data:
            settings = current_or(data, field, "name", "help_text", "show_on_card")
            field = services.custom_field_update(actor=request.user, field=field, **settings)
        if archive != field.is_archived:
            change = services.custom_field_archive if archive else services.custom_field_restore
            field = change(actor=request.user, field=field)
        return self.answer(self._fresh(field))

    def destroy(self, request, pk=None):
        services.custom_field_delete(actor=request.user, field=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add an option to a choice field (at the end of its list)",
        request=s.CustomFieldOptionCreateSerializer,
        responses={201: s.CustomFieldSerializer, 400: INVALID},
    )
    @action(detail=True, methods=["post"], url_path="options")
    def add_option(self, request, pk=None):
        field = self.get_object()
        data = validated(s.CustomFieldOptionCreateSerializer, request)
        services.custom_field_option_add(actor=request.user, field=field, label=data["label"])
        return self.answer(self._fresh(field), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rename, archive or restore, or reorder (position) an option",
        parameters=[OPTION_KEY],
        request=s.CustomFieldOptionUpdateSerializer,
        responses={200: s.CustomFieldSerializer, 400: INVALID},
    )
    @action(detail=True, methods=["patch"], url_path=r"options/(?P<option_key>[^/.]+)")
    @transaction.atomic
    def change_option(self, request, pk=None, option_key=None):
        field = self.get_object()
        option = next((o for o in field.options.all() if o.key == option_key), None)
        if option is None:
            raise Http404
        data = validated(s.CustomFieldOptionUpdateSerializer, request)
        actor = request.user
        if "position" in data:
            services.custom_field_option_place(
                actor=actor, option=option, position=data["position"]
            )
            return self.answer(self._fresh(field))
        if "label" in data:
            option = services.custom_field_option_rename(
                actor=actor, option=option, label=data["label"]
            )
        archive = data.get("is_archived", option.is_archived)
        if archive != option.is_archived:
            change = (
                services.custom_field_option_archive
                if archive
                else services.custom_field_option_restore
            )
            change(actor=actor, option=option)
        return self.answer(self._fresh(field))
