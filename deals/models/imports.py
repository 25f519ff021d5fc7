"""CSV import jobs and the stored chunks of their files."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One CSV import (docs/domain/imports.md): the file, its column mapping, and the run's
    progress.

    The file's bytes live in the database as ``ImportChunk`` rows rather than on disk, so
    that any worker can run the job without a shared volume, and a job retried after a
    worker died reads exactly what the user checked; the rows stream back one chunk at a
    time. ``done`` counts the rows processed so far; it is written in the same transaction
    as those rows, so a retried job resumes where the last committed batch ended. After
    IMPORT_RETENTION_DAYS the chunks are deleted and ``file_deleted_at`` set; the report
    (counts, errors, results) stays (docs/hardening/imports.md).
    """

    class Kind(models.TextChoices):
        DEALS = "deals", _("Deals")
        ORGANIZATIONS = "organizations", _("Organizations")
        PEOPLE = "people", _("People")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKED = "checked", _("Checked (dry run)")
        CHECKING = "checking", _("Checking (dry run)")
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

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

    @staticmethod
    def stalled_before() -> datetime.datetime:
        """An active job not advanced since then has stalled (IMPORT_STALE_MINUTES)."""
        return timezone.now() - datetime.timedelta(minutes=settings.IMPORT_STALE_MINUTES)

    @property
    def is_stalled(self) -> bool:
        """Active but not advanced for IMPORT_STALE_MINUTES: its message was probably lost
        (the broker was down when it was sent); its owner may resume it."""
        return self.is_running and self.updated_at < self.stalled_before()

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
