"""The deal, the money on it, and the reasons a deal is lost."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from deals.models.contacts import Organization, Person
from pipelines.models import Pipeline, Stage

MONEY = {"max_digits": 14, "decimal_places": 2}


class LostReason(models.Model):
    """The list admins maintain of why deals are lost."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("status", "Open")
        WON = "won", pgettext_lazy("status", "Won")
        LOST = "lost", pgettext_lazy("status", "Lost")

    title = models.CharField(_("title"), max_length=200)
    value = models.DecimalField(
        _("value"), **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    # Unique per owner, not globally: a global constraint would tell an importer that an id
    # is taken by a deal they cannot see (docs/hardening/imports.md). NULL, not "", for
    # "none", so that an owner's deals without one do not collide.
    external_id = models.CharField(  # noqa: DJ001
        _("external id"), max_length=100, null=True, blank=True, db_index=True
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("owner"),
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("organization"),
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("person"),
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=4, choices=Status, default=Status.OPEN)
    lost_reason = models.ForeignKey(
        LostReason,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("lost reason"),
    )
    lost_note = models.TextField(_("lost note"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Board order among the open deals of the stage, dense from 0; NULL once closed.
    position = models.PositiveIntegerField(null=True, blank=True)
    probability_override = models.PositiveSmallIntegerField(
        _("probability override"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # The admin-defined fields' values by field key, typed as pipelines/custom_fields.py
    # says (docs/domain/custom-fields.md); an empty value has no key.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    stage_entered_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(null=True, blank=True)
    is_stalled = models.BooleanField(default=False)
    stalled_since = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0),
                name="deal_value_not_negative",
                violation_error_message=_("A deal's value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=models.Q(probability_override__isnull=True)
                | models.Q(probability_override__gte=0, probability_override__lte=100),
                name="deal_probability_override_0_100",
                violation_error_message=_("Probability must be between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "won", "lost"]), name="deal_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="open", closed_at__isnull=True, position__isnull=False)
                    | (
                        ~models.Q(status="open")
                        & models.Q(closed_at__isnull=False, position__isnull=True)
                    )
                ),
                name="deal_open_xor_closed",
                violation_error_message=_(
                    "An open deal has a board position and no close time; a closed one the reverse."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="lost") | models.Q(lost_reason__isnull=False),
                name="deal_lost_has_reason",
                violation_error_message=_("A lost deal needs a lost reason."),
            ),
            # Closed deals have no position (NULLs never collide), so this covers exactly
            # the open cards of a column. Deferred so one set-based shift cannot trip over
            # itself (docs/domain/moves.md).
            models.UniqueConstraint(
                fields=["owner", "external_id"],
                name="deal_external_id_unique_per_owner",
                violation_error_message=_("This owner already has a deal with this external id."),
            ),
            models.UniqueConstraint(
                fields=["stage", "position"],
                name="deal_position_unique_per_stage",
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]
        indexes = [
            # Deals list and forecast: open deals of a pipeline by owner and close month.
            models.Index(
                fields=["pipeline", "status", "owner", "expected_close_date"],
                name="deal_pipeline_status_idx",
            ),
            # flag_stalled_deals scans open deals only.
            models.Index(
                fields=["stage", "stage_entered_at"],
                condition=models.Q(status="open"),
                name="deal_open_stall_scan_idx",
            ),
            # Live refresh: "has anything on this pipeline changed since t?"
            models.Index(fields=["pipeline", "updated_at"], name="deal_pipeline_updated_idx"),
            models.Index(fields=["owner", "status"], name="deal_owner_status_idx"),
            # Dashboards: an owner's deals closed in a period, and their history.
            models.Index(fields=["owner", "closed_at"], name="deal_owner_closed_idx"),
            # custom_fields has a GIN index on PostgreSQL, made by SQL in migration
            # deals/0008 (SQLite, for `make run` only, has none; docs/domain/custom-fields.md).
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Repeats the composite foreign key deal(stage, pipeline) → stage(id, pipeline)
        # so the user reads a sentence instead of an IntegrityError.
        if self.stage_id and self.pipeline_id and self.stage.pipeline_id != self.pipeline_id:
            raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
        if self.status == self.Status.LOST and not self.lost_reason_id:
            raise ValidationError({"lost_reason": _("A lost deal needs a lost reason.")})

    @property
    def effective_probability(self) -> int:
        if self.probability_override is not None:
            return self.probability_override
        return self.stage.probability

    @property
    def weighted_value(self) -> Decimal | None:
        if self.value is None:
            return None
        return (self.value * self.effective_probability / 100).quantize(Decimal("0.01"))
