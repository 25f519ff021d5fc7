"""The REST API (docs/domain/api.md): its routes, its docs and its one exception handler.

Every refusal leaves the API in one shape, ``{"code", "message"}`` plus what the client
needs to act on it: ``errors`` (field → messages) for a 400, ``missing`` for a
``checklist_incomplete`` 409, ``current_version`` for a ``version_conflict`` 409.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback

from accounts.api.views import ApiTokenViewSet, TeamViewSet, TokenObtainView, UserViewSet
from deals.api.admin_actions import StageRemovalViewSet, UserDeactivationViewSet
from deals.api.views import (
    ActivityViewSet,
    BoardView,
    DealEventViewSet,
    DealViewSet,
    LostReasonViewSet,
    NotificationViewSet,
    OrganizationViewSet,
    PersonViewSet,
)
from forecasting.api.views import ForecastView, QuotaViewSet
from integrations.api import WebhookDeliveryViewSet, WebhookViewSet
from pipelinecrm.api_base import MissingItemSerializer
from pipelinecrm.exceptions import ChecklistIncomplete, DomainError, InvalidRequest, VersionConflict
from pipelines.api.views import (
    ChecklistItemViewSet,
    CustomFieldViewSet,
    PipelineViewSet,
    StageViewSet,
)

router = SimpleRouter()
router.register("auth/tokens", ApiTokenViewSet, basename="api-token")
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("stages", StageViewSet, basename="stage")
router.register("checklist-items", ChecklistItemViewSet, basename="checklist-item")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
router.register("deals", DealViewSet, basename="deal")
router.register(r"deals/(?P<deal_id>[^/.]+)/events", DealEventViewSet, basename="deal-event")
router.register("lost-reasons", LostReasonViewSet, basename="lost-reason")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("people", PersonViewSet, basename="person")
router.register("activities", ActivityViewSet, basename="activity")
router.register("users", UserViewSet, basename="user")
# Admin actions that move or reassign deals: served by deals/api on the lower apps' paths.
router.register("stages", StageRemovalViewSet, basename="stage-removal")
router.register("users", UserDeactivationViewSet, basename="user-deactivation")
router.register("teams", TeamViewSet, basename="team")
router.register("quotas", QuotaViewSet, basename="quota")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")


@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown API paths answer in JSON too, not with the site's HTML 404 page (nor, for a
    POST, with the HTML CSRF refusal: API views are CSRF-exempt, DRF checks sessions)."""
    return JsonResponse({"code": "not_found", "message": _("No such API endpoint.")}, status=404)


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's static files (no CDN). The split view
    serves the start-up script as a file of its own (``?script``), so the page needs no
    inline script under the Content-Security-Policy."""

    template_name = "api/swagger_ui.html"


v1 = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token-obtain"),
    re_path(r"^board/(?P<pipeline_id>[^/.]+)/$", BoardView.as_view(), name="api-board"),
    path("forecast/", ForecastView.as_view(), name="api-forecast"),
    *router.urls,
    re_path(r"^.*$", not_found),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="schema"), name="api-docs"),
]


def _domain_error_body(exc: DomainError) -> dict:
    body = {"code": exc.code, "message": exc.message}
    if isinstance(exc, ChecklistIncomplete):
        body["missing"] = MissingItemSerializer(exc.missing, many=True).data
    elif isinstance(exc, VersionConflict):
        body["current_version"] = exc.current_version
    elif isinstance(exc, InvalidRequest) and "field" in exc.details:
        body["errors"] = {exc.details["field"]: [exc.message]}
    return body


def _error_body(exc: Exception, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        return {"code": "invalid", "message": _("Some fields are not valid."), "errors": errors}
    if isinstance(exc, Http404):
        return {"code": "not_found", "message": _("Not found.")}
    if isinstance(exc, PermissionDenied):
        return {"code": "forbidden", "message": _("You may not do this.")}
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    # One word for 403 whether DRF or a service refused.
    code = "forbidden" if code == "permission_denied" else code
    return {"code": code, "message": str(exc.detail)}


def api_exception_handler(exc: Exception, context: dict):
    """The API's one exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"])."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(_domain_error_body(exc), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = exception_handler(exc, context)
    if response is not None:
        response.data = _error_body(exc, response.data)
    return response
