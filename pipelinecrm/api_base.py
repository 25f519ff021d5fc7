"""Building blocks shared by every app's API (the router and handler live in api.py).

They are kept apart from ``api.py`` because that module imports every app's views, and the
views import these.
"""

import copy
from collections.abc import Mapping
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated

# Ids are PostgreSQL bigints: anything larger is refused as a field error, not a crash.
MAX_ID = 2**63 - 1
# Descriptions, guidance and notes: long enough for any real text, bounded all the same.
LONG_TEXT = 5000


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class StableOrderingFilter(OrderingFilter):
    """Ordering by the fields a view names, with the id as tie-breaker.

    Without it, rows with equal sort keys may swap between two page queries, so a client
    paging through a list could see one row twice and miss another.
    """

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view) or []
        if not any(term.lstrip("-") in {"id", "pk"} for term in ordering):
            ordering = [*ordering, "id"]
        return ordering


class StrictSerializerMixin:
    """Refuse fields the operation does not accept, instead of silently ignoring them.

    A typo (``"stgae"``) or a field changed elsewhere (``"status"`` on a deal edit: won and
    lost are actions) would otherwise look like a success that changed nothing.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field is not accepted here.")] for name in unknown}
                )
        return super().to_internal_value(data)


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """Also runs the model's own validation (``full_clean``: ``clean()`` and named
    constraints), so the API refuses with the same sentences as the pages."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # A copy: the instance itself changes only when the view saves it.
        instance = self.Meta.model() if self.instance is None else copy.copy(self.instance)
        for name, value in attrs.items():
            setattr(instance, name, value)
        instance.full_clean(validate_unique=True)
        return attrs


def money_field(**kwargs) -> serializers.DecimalField:
    """An amount of money: what the models store (14 digits, 2 decimals), never negative."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), **kwargs)


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class RelatedIdField(serializers.PrimaryKeyRelatedField):
    """A related object by id; an out-of-range id is a field error, never a database error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        super().__init__(**kwargs)


class ScopedQuerysetMixin:
    """Every object a view can reach comes from ``scoped_queryset(user)``, i.e. from the
    access rules; the class-level ``queryset`` is an empty one that only tells the schema
    generator which model the view serves."""

    def scoped_queryset(self, user) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.scoped_queryset(self.request.user)


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_admin)


class AdminWritesOnly(IsAuthenticated):
    """Everyone signed in reads; only admins create, change or delete.

    Changes to an existing object are checked on the object, after the lookup, so an
    object the user cannot see answers 404 rather than 403.
    """

    message = gettext_lazy("Only an admin can change this.")

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS or getattr(view, "detail", False):
            return True
        return is_admin(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or is_admin(request.user)


class AdminDeletesOnly(BasePermission):
    """Shared records (organizations, people): everyone edits, only admins delete."""

    message = gettext_lazy("Only an admin can delete this.")

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method != "DELETE" or is_admin(request.user)


# -- Error shapes, for the schema; the exception handler in api.py produces them ---------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable reason, e.g. `invalid`.")
    message = serializers.CharField(help_text="A sentence for people.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Field name → list of messages (`non_field_errors` for the whole body).",
    )


# The documented 400 answer of an operation that validates its body.
INVALID = OpenApiResponse(ErrorSerializer, description="Invalid request; field errors.")


class MissingItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    stage = serializers.IntegerField(source="stage_id")
    kind = serializers.CharField()
    satisfied_by = serializers.CharField()
    field_name = serializers.CharField()
    activity_kind = serializers.CharField()
    # A custom-field item: what to send in the deal's ``custom_fields`` to satisfy it.
    custom_field = serializers.CharField(
        source="custom_field.key",
        allow_null=True,
        help_text="The custom field's key (`custom_field` items; else null).",
    )
    condition = serializers.CharField(
        help_text="What the field's value must meet: `filled`, `yes`, `one_of`, `at_least` "
        "or `at_most` (`custom_field` items; else empty)."
    )
    operand = serializers.JSONField(
        source="condition_value",
        allow_null=True,
        help_text="The condition's operand: option keys for `one_of`, a decimal or an ISO "
        "date as a string for `at_least`/`at_most`; else null.",
    )


class ChecklistIncompleteSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["checklist_incomplete"])
    message = serializers.CharField()
    missing = MissingItemSerializer(many=True)


class VersionConflictSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["version_conflict"])
    message = serializers.CharField()
    current_version = serializers.IntegerField()


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class IdOrNameField(serializers.Field):
    """An object given by id or by its (case-insensitive) name, e.g. a lost reason."""

    default_error_messages = {"invalid": gettext_lazy("Give an id or a name.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, int) and not 1 <= data <= MAX_ID:
            self.fail("invalid")
        if isinstance(data, str) and not 0 < len(data.strip()) <= 100:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


def document_common_responses(result, generator, request, public):
    """Add the error answers every operation of a kind can give (schema post-processing).

    Operations document their specific refusals (409 with its shape, 429) with
    ``extend_schema``; the generic ones follow from the method and the path: any
    authenticated operation may answer 401, any change 403 and 400, any path with an id
    (and any paged list, for a page past the end) 404. Request bodies are closed
    (``additionalProperties: false``) because unknown fields are refused.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    assert "Error" in schemas, "some operation must name ErrorSerializer explicitly"
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    descriptions = {
        "400": "Invalid request (field errors in `errors`).",
        "401": "Not authenticated.",
        "403": "Not allowed to do this to an object you can see.",
        "404": "No such object, or not visible to you.",
        "415": "The body must be JSON (`Content-Type: application/json`).",
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            codes = set()
            authenticated = any(operation.get("security", [{}]))
            if authenticated:
                codes.add("401")
            if authenticated and method in {"post", "put", "patch", "delete"}:
                codes.add("403")
            if method in {"post", "put", "patch"} and "requestBody" in operation:
                codes |= {"400", "415"}
            if params:
                codes.add("400")
            if "{" in path or "page" in params:
                codes.add("404")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(code, {**error, "description": descriptions[code]})
    for name, schema in schemas.items():
        if name.endswith("Request") and "properties" in schema:
            schema["additionalProperties"] = False
    return result


def validated(serializer_class: type[serializers.Serializer], request) -> dict:
    """The request body checked by ``serializer_class``; a 400 with field errors if not."""
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def current_or(data: dict, instance, *names: str) -> dict:
    """``names`` from ``data`` where given, else as ``instance`` has them: services that
    replace a whole record take every field, and a PATCH names only what changes."""
    return {name: data[name] if name in data else getattr(instance, name) for name in names}


class AllFieldsOptionalMixin:
    """For PATCH bodies built on a create serializer: every field may be left out."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields
