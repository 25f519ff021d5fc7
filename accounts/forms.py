"""Forms of the user and team admin pages, and how a service's refusal reaches a form."""

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import team_people_choices
from accounts.services import UserAccess


class AdminForm(forms.Form):
    """Labels without Django's trailing colon, as on every other page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on ``form``: on the field it names when the form
    has that field, else above the form. The service is the one that decides; the form
    only shows its answer next to what the user typed."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = name if name in form.fields and name != NON_FIELD_ERRORS else None
        form.add_error(field, ValidationError(errors))


def form_error_text(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


class UserCreateForm(AdminForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.REP)
    # The invitation goes out in it; the user can change it on their profile page.
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        required=False,
        help_text=_("Their invitation, pages and emails use it until they choose their own."),
    )
    access = forms.ChoiceField(
        label=_("How they sign in the first time"),
        choices=UserAccess.choices,
        initial=UserAccess.INVITE,
        widget=forms.RadioSelect,
    )


class UserDetailsForm(AdminForm):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)


class UserRoleForm(AdminForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class SuccessorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"


class DeactivateForm(AdminForm):
    """Who takes over the leaving user's open deals and
    open activities (docs/domain/admin-pages.md)."""

    deals_to = SuccessorField(
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Choose a colleague…"),
        label=_("Their open deals go to"),
    )
    activities_to = SuccessorField(
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Choose a colleague…"),
        label=_("Their open activities go to"),
    )

    def __init__(self, *args, leaving: User, **kwargs):
        super().__init__(*args, **kwargs)
        colleagues = User.objects.filter(is_active=True).exclude(pk=leaving.pk)
        for name in ("deals_to", "activities_to"):
            self.fields[name].queryset = colleagues.order_by("first_name", "last_name")


class PeopleField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"


class TeamForm(AdminForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    managers = PeopleField(
        label=_("Managers"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Users with the manager or admin role."),
    )
    members = PeopleField(label=_("Members"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        managers, members = team_people_choices()
        self.fields["managers"].queryset = managers
        self.fields["members"].queryset = members
