from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from forecasting.views import dashboards
from pipelinecrm import views

LANGUAGE_CODES = "|".join(code for code, _name in settings.LANGUAGES)

urlpatterns = [
    path("", dashboards.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    re_path(
        rf"^jsi18n/(?P<language>{LANGUAGE_CODES})/$",
        views.LanguageCatalog.as_view(),
        name="javascript-catalog",
    ),
    re_path(
        rf"^manifest/(?P<language>{LANGUAGE_CODES})\.webmanifest$",
        views.web_manifest,
        name="web-manifest",
    ),
    # Django's set_language: the language choice of someone not signed in (docs/i18n.md).
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("pipelinecrm.api")),
    path("", include("deals.urls")),
    path("", include("forecasting.urls")),
    path("admin/", include("console.urls")),
    path("django-admin/", admin.site.urls),
]
