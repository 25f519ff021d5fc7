from django.contrib import admin
from django.urls import include, path

from pipelinecrm import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("api/", include("pipelinecrm.api")),
    path("", include("deals.urls")),
    path("", include("forecasting.urls")),
    path("admin/", include("pipelinecrm.admin_urls")),
    path("django-admin/", admin.site.urls),
]
