"""Django's admin (/django-admin/) for users, teams and the audit log.

Role and team changes made here go through accounts/services.py, exactly as the app's
admin pages do: the service re-checks the rule, writes the audit entry and keeps Django's
staff and superuser flags in step with the role. Creating, deactivating and deleting users
happen in the app's admin pages only (an invitation, a handover of open work, an audit
entry each). See docs/hardening/accounts-security.md.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import AuditEntry, Team, User
from accounts.selectors import team_people_choices, team_people_ids
from pipelinecrm.admin_base import ReadOnlyAdmin
from pipelinecrm.exceptions import DomainError

FLAGS_SET_ELSEWHERE = ["is_active", "is_staff", "is_superuser"]


def _as_form_error(error: DomainError | ValidationError, field: str) -> ValidationError:
    if isinstance(error, DomainError):
        return ValidationError({field: error.message})
    return error


class UserChangeForm(BaseUserAdmin.form):
    # Set per request by UserAdmin.get_form: the admin whose change the service checks.
    actor: User | None = None

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role and self.instance.pk is not None:
            try:
                services.user_role_check(actor=self.actor, user=self.instance, role=role)
            except (DomainError, ValidationError) as error:
                raise _as_form_error(error, "role") from None
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    list_display = ["username", "first_name", "last_name", "email", "role", "is_active"]
    list_filter = ["role", "is_active", "teams"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("PipelineCRM", {"fields": ["role"]})]
    # Staff and superuser follow the role; deactivating hands work over in the app.
    readonly_fields = FLAGS_SET_ELSEWHERE

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        new_role = obj.role
        obj.role = form.initial.get("role", new_role)
        super().save_model(request, obj, form, change)
        if new_role != obj.role:
            updated = services.user_set_role(actor=request.user, user=obj, role=new_role)
            obj.role, obj.is_staff, obj.is_superuser = (
                updated.role,
                updated.is_staff,
                updated.is_superuser,
            )


class TeamForm(forms.ModelForm):
    managers = forms.ModelMultipleChoiceField(
        label=_("Managers"),
        queryset=User.objects.none(),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple(_("managers"), is_stacked=False),
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple(_("members"), is_stacked=False),
    )

    class Meta:
        model = Team
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["managers"].queryset, self.fields["members"].queryset = team_people_choices()
        if self.instance.pk is not None:
            for key, ids in team_people_ids(self.instance).items():
                self.fields[key].initial = ids

    def clean_name(self):
        try:
            return services.unique_name(
                Team, self.cleaned_data["name"], noun="team", exclude_pk=self.instance.pk
            )
        except ValidationError as error:
            raise ValidationError(error.message_dict["name"]) from None

    def clean(self):
        cleaned = super().clean()
        services.team_people_check(
            manager_ids=[u.pk for u in cleaned.get("managers", [])],
            member_ids=[u.pk for u in cleaned.get("members", [])],
        )
        return cleaned

    def validate_unique(self) -> None:
        """clean_name already checked the name, ignoring case as the service does; the
        model's case-sensitive check would only repeat it."""


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    list_display = ["name"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        people = {
            "manager_ids": [u.pk for u in form.cleaned_data["managers"]],
            "member_ids": [u.pk for u in form.cleaned_data["members"]],
        }
        name = form.cleaned_data["name"]
        if change:
            services.team_update(actor=request.user, team=obj, name=name, **people)
        else:
            obj.pk = services.team_create(actor=request.user, name=name, **people).pk

    def save_related(self, request, form, formsets, change):
        """Memberships were written by the service in save_model."""

    def delete_model(self, request, obj):
        services.team_delete(actor=request.user, team=obj)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            services.team_delete(actor=request.user, team=team)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["object_type", "action"]
    search_fields = ["object_repr", "actor__username"]
