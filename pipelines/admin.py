from django.contrib import admin

from pipelines.models import ChecklistItem, Pipeline, Stage


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["position", "name", "probability", "stall_threshold_days", "is_archived"]
    show_change_link = True


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = [
        "kind",
        "position",
        "text",
        "is_required",
        "satisfied_by",
        "field_name",
        "activity_kind",
        "custom_field",
        "condition",
        "condition_value",
        "is_archived",
    ]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "visibility", "is_active"]
    list_filter = ["visibility", "is_active"]
    search_fields = ["name"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "position", "probability", "stall_threshold_days"]
    list_filter = ["pipeline", "is_archived"]
    search_fields = ["name", "pipeline__name"]
    inlines = [ChecklistItemInline]
