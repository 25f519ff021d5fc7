from django.contrib import admin
from django.urls import include, path

from forecasting.views import dashboards
from pipelinecrm import views

urlpatterns = [
    path("", dashboards.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("api/", include("pipelinecrm.api")),
    path("", include("deals.urls")),
    path("", include("forecasting.urls")),
    path("admin/", include("console.urls")),
    path("django-admin/", admin.site.urls),
]
