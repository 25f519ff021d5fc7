from django.contrib import admin

from forecasting.models import ForecastSnapshot, Quota


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ["month", "user", "team", "amount"]
    list_filter = ["month", "team"]


@admin.register(ForecastSnapshot)
class ForecastSnapshotAdmin(admin.ModelAdmin):
    list_display = ["computed_at", "pipeline", "owner", "period", "weighted_amount"]
    list_filter = ["pipeline", "period"]
