from django.contrib import admin

from deals.models import (
    Activity,
    ChecklistCheck,
    Deal,
    DealEvent,
    LostReason,
    MoveRefusal,
    Notification,
    Organization,
    Person,
    StageChange,
)
from pipelinecrm.admin_base import ReadOnlyAdmin


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "domain"]
    search_fields = ["name", "domain"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "organization"]
    search_fields = ["name", "email", "organization__name"]
    autocomplete_fields = ["organization"]


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["kind", "subject", "owner", "due_at", "done_at"]


class ChecklistCheckInline(admin.TabularInline):
    model = ChecklistCheck
    extra = 0
    readonly_fields = ["item", "checked_by", "checked_at"]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    """Read-mostly: moves go through deal_move in the app, never through this form."""

    list_display = ["title", "pipeline", "stage", "owner", "value", "status", "is_stalled"]
    list_filter = ["pipeline", "status", "is_stalled", "stage"]
    search_fields = ["title", "external_id", "organization__name", "person__name"]
    autocomplete_fields = ["organization", "person", "owner"]
    readonly_fields = [
        "pipeline",
        "stage",
        "position",
        "status",
        "closed_at",
        "stage_entered_at",
        "last_activity_at",
        "is_stalled",
        "stalled_since",
        "version",
        "created_at",
        "updated_at",
    ]
    inlines = [ChecklistCheckInline, ActivityInline]
    list_select_related = ["pipeline", "stage", "owner"]

    def has_delete_permission(self, request, obj=None) -> bool:
        """Deleting a deal would take its stage changes and events with it (they cascade):
        deals are marked lost instead (docs/hardening/accounts-security.md)."""
        return False


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdmin):
    list_display = ["deal", "from_stage", "to_stage", "user", "changed_at"]
    list_select_related = ["deal", "from_stage", "to_stage", "user"]
    search_fields = ["deal__title"]


@admin.register(DealEvent)
class DealEventAdmin(ReadOnlyAdmin):
    list_display = ["deal", "kind", "user", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["deal", "user"]
    search_fields = ["deal__title"]


@admin.register(MoveRefusal)
class MoveRefusalAdmin(ReadOnlyAdmin):
    list_display = ["deal", "from_stage", "to_stage", "user", "created_at"]
    list_select_related = ["deal", "from_stage", "to_stage", "user"]
    search_fields = ["deal__title"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "deal", "owner", "due_at", "done_at"]
    list_filter = ["kind"]
    list_select_related = ["deal", "owner"]
    search_fields = ["subject", "deal__title"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "text", "is_read", "created_at"]
    list_filter = ["kind", "is_read"]
