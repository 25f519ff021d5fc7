"""Forms for organizations and people (shared by the
whole company, docs/domain/roles-and-visibility.md)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.forms_deal import datalist_attrs
from deals.models import Organization, Person


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "domain"]
        labels = {"name": gettext_lazy("Name"), "domain": gettext_lazy("Domain")}
        help_texts = {"domain": gettext_lazy("e.g. example.com (optional)")}

    def clean_name(self) -> str:
        # Deals pick organizations by name (case-insensitively), so two of one name would
        # make that pick arbitrary.
        name = self.cleaned_data["name"].strip()
        taken = Organization.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("An organization with this name already exists."))
        return name


class PersonForm(forms.ModelForm):
    organization_name = forms.CharField(
        label=gettext_lazy("Organization"),
        max_length=200,
        required=False,
        strip=True,
        help_text=gettext_lazy("An existing organization's name, or a new one."),
    )

    class Meta:
        model = Person
        fields = ["name", "email", "phone"]
        labels = {
            "name": gettext_lazy("Name"),
            "email": gettext_lazy("Email"),
            "phone": gettext_lazy("Phone"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.organization_id:
            self.fields["organization_name"].initial = self.instance.organization.name
        self.fields["organization_name"].widget.attrs.update(
            datalist_attrs("organization-options", "organization-options")
        )
