"""Django admin (/django-admin/) building blocks shared by the apps."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened (audit entries, stage changes, deal events, refused
    moves): viewable, never added, changed or deleted by hand, or the history would lie
    (docs/hardening/accounts-security.md)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
