"""Forms of the CSV import: the upload, then the column mapping (docs/domain/imports.md)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from deals.csv_import.files import DELIMITER_CODES, DELIMITERS
from deals.csv_import.mapping import targets_of
from deals.models import ImportJob
from pipelines.models import Pipeline

DECIMAL_SEPARATORS = [
    (".", gettext_lazy("Point — 1,234.56 or 12.5k")),
    (",", gettext_lazy("Comma — 1.234,56 or 12,5k")),
]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"), choices=ImportJob.Kind.choices
    )
    file = forms.FileField(label=gettext_lazy("CSV file"))


class MappingForm(forms.Form):
    """Which CSV column feeds which field, and how to read the values.

    One choice field per target, named ``map_<target>``; their values are column indexes.
    """

    delimiter = forms.ChoiceField(
        label=gettext_lazy("Columns separated by"),
        choices=[(DELIMITER_CODES[char], label) for char, label in DELIMITERS.items()],
    )
    # No initial choice: it comes from the file (docs/domain/imports.md), and when the file's
    # amounts read either way ("1.200") the user must pick one.
    decimal_separator = forms.ChoiceField(
        label=gettext_lazy("Decimal separator in amounts"),
        choices=DECIMAL_SEPARATORS,
        widget=forms.RadioSelect,
        required=False,
    )
    pipeline = forms.ModelChoiceField(
        label=gettext_lazy("Pipeline for rows that name none"),
        queryset=Pipeline.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=gettext_lazy("— none: every row must name one —"),
    )
    override_checklist = forms.BooleanField(
        label=gettext_lazy("Override missing checklist items, with the reason “CSV import”"),
        required=False,
        help_text=gettext_lazy(
            "Without it, a row whose stage change or won status lacks required items is not "
            "imported; the report names the items."
        ),
    )

    def __init__(self, *args, job: ImportJob, header: list[str], user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.job, self.user = job, user
        # Reps import the deals they own (docs/domain/imports.md): no owner column is offered.
        self.targets = [
            target
            for target in targets_of(job.kind)
            if not (target.managers_only and user.role == Role.REP)
        ]
        columns = [("", _("— not imported —"))] + [
            (str(index), name or _("Column %(number)s") % {"number": index + 1})
            for index, name in enumerate(header)
        ]
        for target in self.targets:
            self.fields[f"map_{target.name}"] = forms.ChoiceField(
                label=target.label,
                choices=columns,
                required=False,
                help_text=target.help,
            )
        if job.kind != ImportJob.Kind.DEALS:
            del self.fields["pipeline"]
            del self.fields["decimal_separator"]
        # Only those who may override at all are offered the choice; a rep's crafted post
        # of the field is ignored because the field does not exist for them.
        if job.kind != ImportJob.Kind.DEALS or user.role == Role.REP:
            del self.fields["override_checklist"]

    def target_fields(self):
        """(target, bound field) pairs, in the targets' order, for the mapping table."""
        return [(target, self[f"map_{target.name}"]) for target in self.targets]

    def clean(self):
        data = super().clean()
        for target in self.targets:
            mapped = bool(data.get(f"map_{target.name}"))
            if target.required and not mapped and not data.get(f"map_{target.unless}"):
                self.add_error(
                    f"map_{target.name}",
                    _("Choose the column that holds the %(field)s.") % {"field": target.label},
                )
        if (
            "decimal_separator" in self.fields
            and data.get("map_value")
            and not data.get("decimal_separator")
        ):
            self.add_error(
                "decimal_separator",
                _("Choose the decimal separator: the amounts in this file can be read either way."),
            )
        if (
            self.job.kind == ImportJob.Kind.DEALS
            and not data.get("map_pipeline")
            and not data.get("pipeline")
        ):
            self.add_error(
                "pipeline", _("Choose a pipeline, or the column that names each row's pipeline.")
            )
        return data

    @property
    def mapping(self) -> dict[str, int]:
        return {
            target.name: int(self.cleaned_data[f"map_{target.name}"])
            for target in self.targets
            if self.cleaned_data.get(f"map_{target.name}")
        }

    @property
    def delimiter_char(self) -> str | None:
        code = self.data.get("delimiter")
        return next((char for char, name in DELIMITER_CODES.items() if name == code), None)

    @property
    def options(self) -> dict:
        pipeline = self.cleaned_data.get("pipeline")
        return {
            "decimal_separator": self.cleaned_data.get("decimal_separator") or ".",
            "pipeline": pipeline.pk if pipeline else None,
            "override_checklist": bool(self.cleaned_data.get("override_checklist")),
        }
