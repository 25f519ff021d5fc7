from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    """Kinds of activity; defined here because checklist items name them."""

    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")
    TASK = "task", _("Task")
    NOTE = "note", _("Note")


class Pipeline(models.Model):
    class Visibility(models.TextChoices):
        TEAM = "team", _("Team: reps also see teammates' deals (read-only)")
        OWNER = "owner", _("Owner: reps see only their own deals")

    class ForwardJumps(models.TextChoices):
        """What a forward move over stages needs (docs/hardening/forward-jumps.md)."""

        ALLOWED = "allowed", _("Allowed: skipped stages impose nothing")
        STRICT = "strict", _("Need the skipped stages' required items")

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility, default=Visibility.TEAM)
    # New pipelines are strict; the migration that added the field kept existing ones
    # "allowed", their behaviour until then.
    forward_jumps = models.CharField(
        max_length=10, choices=ForwardJumps, default=ForwardJumps.STRICT
    )
    is_active = models.BooleanField(default=True)
    # Set inside a move's transaction; the debounced forecast job claims and clears it, so
    # a recompute request survives a lost broker message
    # (docs/decisions/0006-task-names-as-doorbells.md).
    forecast_dirty_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visibility__in=["team", "owner"]),
                name="pipeline_visibility_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(forward_jumps__in=["allowed", "strict"]),
                name="pipeline_forward_jumps_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField()
    probability = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Win probability in percent (0–100)."),
    )
    stall_threshold_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Days without progress before a deal counts as stalled; empty = never."),
    )
    guidance = models.TextField(blank=True, help_text=_("What happens here, how a deal gets out."))
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=100),
                name="stage_probability_0_100",
                violation_error_message=_("Probability must be between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=models.Q(stall_threshold_days__isnull=True)
                | models.Q(stall_threshold_days__gte=1),
                name="stage_stall_threshold_positive",
                violation_error_message=_("The stall threshold must be at least one day."),
            ),
            # Deferred so that one set-based renumbering cannot trip over itself.
            models.UniqueConstraint(
                fields=["pipeline", "position"],
                name="stage_position_unique_per_pipeline",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(
                Lower("name"),
                "pipeline",
                condition=models.Q(is_archived=False),
                name="stage_name_unique_per_pipeline",
                violation_error_message=_("This pipeline already has a stage with that name."),
            ),
            # Target of the composite foreign key deal(stage, pipeline) → stage(id, pipeline).
            models.UniqueConstraint(fields=["id", "pipeline"], name="stage_id_pipeline_key"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name} / {self.name}" if self.pipeline_id else self.name


class ChecklistItem(models.Model):
    class Kind(models.TextChoices):
        ENTRY = "entry", _("Entry")
        EXIT = "exit", _("Exit")

    class SatisfiedBy(models.TextChoices):
        MANUAL = "manual", _("A person ticks it")
        FIELD = "field", _("A deal field is filled in")
        ACTIVITY = "activity", _("A done activity")
        CUSTOM_FIELD = "custom_field", _("A custom field meets a condition")

    class Condition(models.TextChoices):
        """What a custom-field item asks of the field (docs/domain/custom-fields.md)."""

        FILLED = "filled", _("is filled in")
        YES = "yes", _("is yes")
        ONE_OF = "one_of", _("is one of")
        AT_LEAST = "at_least", _("is at least")
        AT_MOST = "at_most", _("is at most")

    class Field(models.TextChoices):
        VALUE = "value", _("Value")
        EXPECTED_CLOSE_DATE = "expected_close_date", _("Expected close date")
        ORGANIZATION = "organization", _("Organization")
        PERSON = "person", _("Contact person")

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="checklist_items")
    kind = models.CharField(max_length=5, choices=Kind)
    text = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    is_required = models.BooleanField(default=True)
    satisfied_by = models.CharField(max_length=12, choices=SatisfiedBy, default=SatisfiedBy.MANUAL)
    field_name = models.CharField(max_length=30, choices=Field, blank=True)
    activity_kind = models.CharField(max_length=10, choices=ActivityKind, blank=True)
    # A custom-field item: the field, the condition and its operand (option keys for
    # "one of", a number or an ISO date as text for "at least"/"at most"); see
    # pipelines/custom_fields.py. A field that items name cannot be deleted, only archived.
    custom_field = models.ForeignKey(
        "CustomField",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checklist_items",
        verbose_name=_("custom field"),
    )
    condition = models.CharField(_("condition"), max_length=10, choices=Condition, blank=True)
    condition_value = models.JSONField(_("condition value"), null=True, blank=True)
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["stage", "kind", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "kind", "position"],
                name="checklist_item_position_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["entry", "exit"]), name="checklist_item_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        satisfied_by="manual",
                        field_name="",
                        activity_kind="",
                        custom_field__isnull=True,
                    )
                    | (
                        models.Q(satisfied_by="field", activity_kind="", custom_field__isnull=True)
                        & ~models.Q(field_name="")
                    )
                    | (
                        models.Q(satisfied_by="activity", field_name="", custom_field__isnull=True)
                        & ~models.Q(activity_kind="")
                    )
                    | (
                        models.Q(
                            satisfied_by="custom_field",
                            field_name="",
                            activity_kind="",
                            custom_field__isnull=False,
                        )
                        & ~models.Q(condition="")
                    )
                ),
                name="checklist_item_rule_consistent",
                violation_error_message=_(
                    "A field item names a deal field, an activity item names an activity "
                    "kind, a custom-field item names a custom field and a condition, and a "
                    "manual item names none of them."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        errors = {}
        if self.satisfied_by == self.SatisfiedBy.FIELD and not self.field_name:
            errors["field_name"] = _("Choose the deal field that satisfies this item.")
        if self.satisfied_by == self.SatisfiedBy.ACTIVITY and not self.activity_kind:
            errors["activity_kind"] = _("Choose the kind of activity that satisfies this item.")
        if self.satisfied_by != self.SatisfiedBy.FIELD and self.field_name:
            errors["field_name"] = _("Only items satisfied by a field name one.")
        if self.satisfied_by != self.SatisfiedBy.ACTIVITY and self.activity_kind:
            errors["activity_kind"] = _("Only items satisfied by an activity name a kind.")
        if self.satisfied_by == self.SatisfiedBy.CUSTOM_FIELD:
            errors |= self._custom_field_errors()
        if errors:
            raise ValidationError(errors)

    def _custom_field_errors(self) -> dict:
        from pipelines.custom_fields import condition_errors

        if not self.custom_field_id:
            return {"custom_field": _("Choose the custom field that satisfies this item.")}
        return condition_errors(self.custom_field, self.condition, self.condition_value)

    @property
    def is_automatic(self) -> bool:
        return self.satisfied_by != self.SatisfiedBy.MANUAL


class CustomField(models.Model):
    """A field admins add to deals, for one pipeline or for all (docs/domain/custom-fields.md).

    Values live on the deal, in ``Deal.custom_fields`` under ``key``, which never changes:
    renaming a field keeps its values, the API's keys and old CSV mappings.
    """

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", _("Number")
        MONEY = "money", _("Money")
        DATE = "date", _("Date")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        YES_NO = "yes_no", _("Yes/no")
        USER = "user", _("User")
        URL = "url", _("URL")

    pipeline = models.ForeignKey(
        Pipeline,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="custom_fields",
        verbose_name=_("pipeline"),
        help_text=_("Empty: the field is on the deals of every pipeline."),
    )
    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=Type)
    show_on_card = models.BooleanField(_("show on the board card"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    type__in=[
                        "text",
                        "long_text",
                        "number",
                        "money",
                        "date",
                        "single_choice",
                        "multiple_choice",
                        "yes_no",
                        "user",
                        "url",
                    ]
                ),
                name="custom_field_type_valid",
            ),
            # Names are unique among a pipeline's active fields and among the active fields
            # for every pipeline (two constraints: SQLite, for `make run`, has no
            # NULLS NOT DISTINCT); the service also refuses a pipeline's field that shares
            # a name with one for every pipeline.
            models.UniqueConstraint(
                Lower("name"),
                models.F("pipeline"),
                condition=models.Q(is_archived=False, pipeline__isnull=False),
                name="custom_field_name_unique",
                violation_error_message=_("There is already a field with this name."),
            ),
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(is_archived=False, pipeline__isnull=True),
                name="custom_field_name_unique_everywhere",
                violation_error_message=_("There is already a field with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_options(self) -> bool:
        return self.type in (self.Type.SINGLE_CHOICE, self.Type.MULTIPLE_CHOICE)


class CustomFieldOption(models.Model):
    """One choice of a single- or multiple-choice field. Deals store ``key``, so renaming
    an option keeps the deals that chose it; archiving hides it from new choices."""

    field = models.ForeignKey(
        CustomField, on_delete=models.CASCADE, related_name="options", verbose_name=_("field")
    )
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["field", "key"], name="custom_field_option_key_unique"),
            models.UniqueConstraint(
                Lower("label"),
                "field",
                condition=models.Q(is_archived=False),
                name="custom_field_option_label_unique",
                violation_error_message=_("This field already has an option with that label."),
            ),
        ]

    def __str__(self) -> str:
        return self.label
