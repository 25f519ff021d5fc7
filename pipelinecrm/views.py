import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
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


# The colours of static/css/app.css: the top bar (the phone's status bar) and the page.
THEME_COLOR = "#111827"
BACKGROUND_COLOR = "#f5f6fa"


@require_GET
@cache_control(max_age=3600, public=True)
def web_manifest(request: HttpRequest, language: str) -> JsonResponse:
    """The web app manifest, so "Add to home screen" opens the board full screen
    (docs/install-and-accessibility.md). One per language, like the JavaScript catalog: a
    browser fetches the manifest without the session cookie, so the language is in the URL."""
    with translation.override(language):
        board = reverse("board")
        manifest = {
            "id": board,
            "name": "PipelineCRM",
            "short_name": "PipelineCRM",
            "description": _("Deals, pipelines and activities of your sales team"),
            "lang": language,
            "dir": "ltr",
            "start_url": board,
            "scope": "/",
            "display": "standalone",
            "orientation": "any",
            "theme_color": THEME_COLOR,
            "background_color": BACKGROUND_COLOR,
            "icons": [
                {"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
                {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static("img/icon-maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
            "shortcuts": [
                {"name": _("Board"), "url": board},
                {"name": _("Activities"), "url": reverse("activities")},
                {"name": _("Dashboard"), "url": reverse("dashboard")},
            ],
        }
    return JsonResponse(
        manifest,
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
