import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from pipelinecrm.celery import app as celery_app

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and compose: the database and the broker answer."""
    checks = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("healthz: database unreachable")
        checks["database"] = "unreachable"
    try:
        # One attempt, bounded by the broker connection timeout: a retry would only add its
        # back-off sleep to the probe's answer time.
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
    except Exception:
        logger.exception("healthz: broker unreachable")
        checks["broker"] = "unreachable"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", **checks}, status=200 if healthy else 503
    )


@method_decorator(cache_control(max_age=3600, public=True), name="dispatch")
class LanguageCatalog(JavaScriptCatalog):
    """Django's JavaScript catalog (``gettext``, ``ngettext``, ``interpolate`` in the
    browser), for the language in its URL, so a browser may keep one copy per language."""

    def get(self, request, *args, language: str, **kwargs):
        with translation.override(language):
            return super().get(request, *args, **kwargs)
