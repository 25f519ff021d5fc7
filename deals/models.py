import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from pipelines.models import ActivityKind, ChecklistItem, Pipeline, Stage

MONEY = {"max_digits": 14, "decimal_places": 2}


class Organization(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name


class LostReason(models.Model):
    """The list admins maintain of why deals are lost."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    title = models.CharField(max_length=200)
    value = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    # Unique per owner, not globally: a global constraint would tell an importer that an id
    # is taken by a deal they cannot see (docs/hardening/imports.md). NULL, not "", for
    # "none", so that an owner's deals without one do not collide.
    external_id = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, db_index=True
    )
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    expected_close_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=4, choices=Status, default=Status.OPEN)
    lost_reason = models.ForeignKey(
        LostReason, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    lost_note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Board order among the open deals of the stage, dense from 0; NULL once closed.
    position = models.PositiveIntegerField(null=True, blank=True)
    probability_override = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    stage_entered_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(null=True, blank=True)
    is_stalled = models.BooleanField(default=False)
    stalled_since = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0),
                name="deal_value_not_negative",
                violation_error_message="A deal's value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(probability_override__isnull=True)
                | models.Q(probability_override__gte=0, probability_override__lte=100),
                name="deal_probability_override_0_100",
                violation_error_message="Probability must be between 0 and 100.",
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
                violation_error_message=(
                    "An open deal has a board position and no close time; a closed one the reverse."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="lost") | models.Q(lost_reason__isnull=False),
                name="deal_lost_has_reason",
                violation_error_message="A lost deal needs a lost reason.",
            ),
            # Closed deals have no position (NULLs never collide), so this covers exactly
            # the open cards of a column. Deferred so one set-based shift cannot trip over
            # itself (docs/domain/moves.md).
            models.UniqueConstraint(
                fields=["owner", "external_id"],
                name="deal_external_id_unique_per_owner",
                violation_error_message="This owner already has a deal with this external id.",
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
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Repeats the composite foreign key deal(stage, pipeline) → stage(id, pipeline)
        # so the user reads a sentence instead of an IntegrityError.
        if self.stage_id and self.pipeline_id and self.stage.pipeline_id != self.pipeline_id:
            raise ValidationError({"stage": "This stage belongs to another pipeline."})
        if self.status == self.Status.LOST and not self.lost_reason_id:
            raise ValidationError({"lost_reason": "A lost deal needs a lost reason."})

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


class ChecklistCheck(models.Model):
    """A manual checklist item ticked on a deal. Persists when the deal moves back and forth."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deal", "item"], name="check_once_per_deal_item"),
        ]
        indexes = [
            # Checklist analytics: a period's ticks, read from the index alone.
            models.Index(fields=["checked_at"], include=["deal", "item"], name="check_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} ✓ {self.item}"


class StageChange(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="entries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    time_in_from_stage = models.DurationField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_items = models.ManyToManyField(ChecklistItem, blank=True, related_name="overrides")

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["deal", "changed_at"], name="stagechange_deal_idx"),
            # Dashboards: conversion and time in stage over a period.
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_stage_idx"),
            # Dashboards: a period's changes, read from the index alone (the table only
            # grows, so its pages stay all-visible).
            models.Index(
                fields=["changed_at"],
                include=["deal", "from_stage", "to_stage", "time_in_from_stage"],
                name="stagechange_period_idx",
            ),
            # Checklist analytics: the few changes that overrode items (deal_move writes
            # a reason with every override).
            models.Index(
                fields=["changed_at"],
                condition=~models.Q(override_reason=""),
                name="stagechange_override_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal}: {self.from_stage} → {self.to_stage}"


class MoveRefusal(models.Model):
    """A forward move refused for missing checklist items; written after the rollback."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="move_refusals")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    missing_items = models.ManyToManyField(ChecklistItem, related_name="refusals")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.deal}: {self.from_stage} ↛ {self.to_stage}"


FUTURE_DONE_AT = (
    "An activity cannot be done in the future: log it once it has happened, "
    "or schedule it with a due time."
)


def done_at_is_future(done_at: datetime.datetime) -> bool:
    """Beyond the allowed clock skew, a done time lies in the future: such a row would
    satisfy every later "activity since entering the stage" item
    (docs/hardening/gate-activities.md)."""
    skew = datetime.timedelta(minutes=settings.ACTIVITY_CLOCK_SKEW_MINUTES)
    return done_at > timezone.now() + skew


class Activity(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="activities")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(max_length=10, choices=ActivityKind)
    subject = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # remind_activities claims these by compare-and-swap so nobody is reminded twice.
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ActivityKind.values), name="activity_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["deal", "done_at"], name="activity_deal_done_idx"),
            # "My activities" and remind_activities: open activities by owner and due time.
            models.Index(
                fields=["owner", "due_at"],
                condition=models.Q(done_at__isnull=True),
                name="activity_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def clean(self) -> None:
        # Here rather than only in a service, so the Django admin's form refuses it too.
        if self.done_at is not None and done_at_is_future(self.done_at):
            raise ValidationError({"done_at": FUTURE_DONE_AT})


class DealEvent(models.Model):
    """Append-only timeline of everything that happened to a deal."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        IMPORTED = "imported", "Imported"
        EDITED = "edited", "Edited"
        MOVED = "moved", "Moved"
        CHECKLIST_TICKED = "checklist_ticked", "Checklist item ticked"
        CHECKLIST_UNTICKED = "checklist_unticked", "Checklist item unticked"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        REOPENED = "reopened", "Reopened"
        REASSIGNED = "reassigned", "Reassigned"
        ACTIVITY_LOGGED = "activity_logged", "Activity logged"
        STALLED = "stalled", "Flagged stalled"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["deal", "created_at"], name="dealevent_deal_idx")]

    def __str__(self) -> str:
        return f"{self.deal}: {self.kind}"


HIDDEN_DEAL_NOTICE = "About a deal you can no longer see."


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30)
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=300)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell: unread count per recipient.
            models.Index(
                fields=["recipient"],
                condition=models.Q(is_read=False),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        """The text, unless it is about a deal the recipient may no longer see: then a
        sentence without its title (``deal_visible`` is annotated by
        ``deals.selectors.notifications.notifications_for``; docs/hardening/gate-activities.md)."""
        if self.deal_id is None or self.deal_visible:
            return self.text
        return HIDDEN_DEAL_NOTICE


class ImportJob(models.Model):
    """One CSV import (docs/domain/imports.md): the
    file, its column mapping, and the run's progress.

    The file's bytes live in the database as ``ImportChunk`` rows rather than on disk, so
    that any worker can run the job without a shared volume, and a job retried after a
    worker died reads exactly what the user checked; the rows stream back one chunk at a
    time. ``done`` counts the rows processed so far; it is written in the same transaction
    as those rows, so a retried job resumes where the last committed batch ended. After
    IMPORT_RETENTION_DAYS the chunks are deleted and ``file_deleted_at`` set; the report
    (counts, errors, results) stays (docs/hardening/imports.md).
    """

    class Kind(models.TextChoices):
        DEALS = "deals", "Deals"
        ORGANIZATIONS = "organizations", "Organizations"
        PEOPLE = "people", "People"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        CHECKED = "checked", "Checked (dry run)"
        CHECKING = "checking", "Checking (dry run)"
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # A worker is (or should be) busy with the job; the stalled-import sweep watches these.
    ACTIVE = (Status.CHECKING, Status.QUEUED, Status.RUNNING)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.DEALS)
    status = models.CharField(max_length=10, choices=Status, default=Status.UPLOADED)
    file_name = models.CharField(max_length=255)
    encoding = models.CharField(max_length=40)
    codec = models.CharField(max_length=20, default="utf-8-sig", help_text="Python's codec.")
    delimiter = models.CharField(max_length=1, default=",")
    mapping = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    # [{"line": n, "reason": "…"}]: the dry run's findings, then the run's failed rows.
    errors = models.JSONField(default=list, blank=True)
    # [{"line": n, "outcome": "created" | "updated", "id": pk, "label": "…"}]
    results = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")), name="import_done_within_total"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "uploaded",
                        "checked",
                        "checking",
                        "queued",
                        "running",
                        "done",
                        "failed",
                        "cancelled",
                    ]
                ),
                name="import_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="import_user_idx"),
            # deals.tasks.import_sweep: active jobs that stopped advancing.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status__in=["checking", "queued", "running"]),
                name="import_active_idx",
            ),
            # deals.tasks.import_purge_files: jobs whose file is still stored.
            models.Index(
                fields=["created_at"],
                condition=models.Q(file_deleted_at__isnull=True),
                name="import_file_kept_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def is_running(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_stalled(self) -> bool:
        """Active but not advanced for IMPORT_STALE_MINUTES: its message was probably lost
        (the broker was down when it was sent); its owner may resume it."""
        stale_after = datetime.timedelta(minutes=settings.IMPORT_STALE_MINUTES)
        return self.is_running and self.updated_at < timezone.now() - stale_after

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total


class ImportChunk(models.Model):
    """A piece of an uploaded file, in order; read back one at a time (see ImportJob)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="import_chunk_unique_index")
        ]

    def __str__(self) -> str:
        return f"Chunk {self.index} of import {self.job_id}"
