"""CSV import pages (docs/domain/imports.md): upload, map the columns and check (dry run; a large
file is checked by the worker), then the import runs as a Celery job while the page shows
its progress bar (htmx polls a fragment every second), and finally the report of created,
updated and failed rows."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from deals.csv_import.checking import import_check_start
from deals.csv_import.files import (
    DELIMITER_CODES,
    DELIMITERS,
    PREVIEW_ROWS,
    ImportFileError,
    read_table,
)
from deals.csv_import.forms import MappingForm, UploadForm
from deals.csv_import.mapping import targets_of
from deals.csv_import.recovery import import_resume
from deals.csv_import.running import import_queue
from deals.csv_import.upload import import_redelimit, import_upload, job_rows, job_text
from deals.csv_import.values import FORMULA_GUARD, RowReader, describe_date_order
from deals.models import ImportJob
from pipelinecrm.exceptions import DomainError
from pipelines import custom_fields as types

RECENT_JOBS = 10
REPORT_ROWS = 200
# Multipart framing around the file; a request this much over the limit is refused unread.
UPLOAD_OVERHEAD = 64 * 1024


def _limit_bytes() -> int:
    return settings.IMPORT_MAX_MB * 1024 * 1024


def _too_large(size: int) -> str:
    return _(
        "The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files and "
        "import them one after the other."
    ) % {"size": formats.number_format(size / 1024 / 1024, 1), "limit": settings.IMPORT_MAX_MB}


def _upload_page(request: HttpRequest, form: UploadForm, error: str = "", status: int = 200):
    jobs = ImportJob.objects.filter(user=request.user)[:RECENT_JOBS]
    context = {
        "form": form,
        "error": error,
        "jobs": jobs,
        "limit_mb": settings.IMPORT_MAX_MB,
        "nav_section": "import",
    }
    return render(request, "deals/import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _upload_page(request, UploadForm(initial={"kind": request.GET.get("kind")}))
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > _limit_bytes() + UPLOAD_OVERHEAD:
        return _upload_page(request, UploadForm(), _too_large(declared), status=413)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=422)
    upload = form.cleaned_data["file"]
    if upload.size > _limit_bytes():
        return _upload_page(request, form, _too_large(upload.size), status=413)
    try:
        job = import_upload(user=request.user, kind=form.cleaned_data["kind"], upload=upload)
    except ImportFileError as error:
        return _upload_page(request, form, str(error), status=422)
    return redirect("import-job", job_id=job.pk)


def _own_job(request: HttpRequest, job_id: int) -> ImportJob:
    """A job is its importer's alone; anyone else's answers 404."""
    job = ImportJob.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise Http404(_("No such import."))
    return job


def _mapping_form(request: HttpRequest, job: ImportJob, header, data=None) -> MappingForm:
    initial = {f"map_{name}": str(index) for name, index in (job.mapping or {}).items()}
    initial |= {
        "delimiter": DELIMITER_CODES.get(job.delimiter, "comma"),
        # "" when the file's amounts read either way: no choice is made for the user.
        "decimal_separator": (job.options or {}).get("decimal_separator", "."),
        "pipeline": (job.options or {}).get("pipeline"),
        "override_checklist": (job.options or {}).get("override_checklist", False),
    }
    return MappingForm(data, job=job, header=header, user=request.user, initial=initial)


def _job_page(request: HttpRequest, job: ImportJob, form=None, error: str = "", status=200):
    if not error and job.status == ImportJob.Status.UPLOADED:
        error = job.message  # why the worker's check could not read the file
    context = {
        "job": job,
        "error": error,
        "nav_section": "import",
        # Stored in English ("UTF-8 with BOM"); the names of encodings need no translation.
        "encoding_label": _(job.encoding) if job.encoding else "",
    }
    if job.file_deleted_at is not None and not job.is_finished:
        context["file_deleted"] = True
    elif not (job.is_running or job.is_finished):
        preview = read_table(job_text(job), job.delimiter, limit=PREVIEW_ROWS)
        context |= {
            "form": form or _mapping_form(request, job, preview.header),
            "preview": preview,
            "preview_width": range(len(preview.header)),
            "targets": targets_of(job.kind),
            "date_note": describe_date_order((job.options or {}).get("date_order", "dmy")),
            "bad_rows": job.errors[:500],
            "delimiter_label": DELIMITERS.get(job.delimiter, job.delimiter),
            "decimal_ambiguous": (job.options or {}).get("decimal_ambiguous") or [],
        }
        if job.status == ImportJob.Status.CHECKED:
            context["parsed_sample"] = _parsed_sample(job, preview)
    context |= _report_context(job)
    return render(request, "deals/import_job.html", context, status=status)


# How the dry run shows what it read from each kind of cell.
AMOUNT_FIELDS = {"value"}
DATE_FIELDS = {"expected_close_date"}


def _parsed_sample(job: ImportJob, preview) -> dict:
    """The first rows as the import reads them, column by mapped column: the raw text and
    the value read from it ("1.200" → 1200), so the user sees how amounts and dates were
    understood before importing (docs/domain/imports.md)."""
    options = job.options or {}
    mapping = {name: int(index) for name, index in (job.mapping or {}).items()}
    reader = RowReader(
        mapping=mapping,
        width=len(preview.header),
        decimal_separator=options.get("decimal_separator") or ".",
        date_order=options.get("date_order", "dmy"),
    )
    targets = [target for target in targets_of(job.kind) if target.name in mapping]
    rows = []
    for line, row in preview.rows:
        padded = (row + [""] * len(preview.header))[: len(preview.header)]
        cells = []
        for target in targets:
            raw = padded[mapping[target.name]].strip()
            reader.errors = []
            if target.custom_field is not None:
                cell = _custom_cell(target.custom_field, raw, reader)
            elif target.name in AMOUNT_FIELDS:
                cell = {"kind": "amount", "value": reader.amount(padded, target.name)}
            elif target.name in DATE_FIELDS:
                cell = {"kind": "date", "value": reader.date(padded, target.name)}
            else:
                cell = {"kind": "text", "value": raw}
            cell = {"raw": raw, "error": " ".join(reader.errors)} | cell
            cells.append(cell)
        rows.append({"line": line, "cells": cells})
    return {"targets": targets, "rows": rows}


def _custom_cell(field, raw: str, reader: RowReader) -> dict:
    """A custom field's cell as the import reads it, shown the way the page shows values
    (docs/domain/custom-fields.md)."""
    try:
        value = reader.custom(field, FORMULA_GUARD.sub("", raw))
    except ValidationError as error:
        return {"kind": "custom", "value": None, "error": " ".join(error.messages)}
    shown = types.display(field, types.to_stored(field, value)) if value is not None else None
    return {"kind": "custom", "value": shown}


def _report_context(job: ImportJob) -> dict:
    if not job.is_finished:
        return {}
    detail = {
        ImportJob.Kind.DEALS: "deal-detail",
        ImportJob.Kind.ORGANIZATIONS: "organization-detail",
        ImportJob.Kind.PEOPLE: "person-detail",
    }[job.kind]
    return {
        "report_rows": job.results[:REPORT_ROWS],
        "report_more": max(0, len(job.results) - REPORT_ROWS),
        "failed_rows": job.errors,
        "detail_url_name": detail,
    }


@login_required
@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    if request.method == "GET":
        return _job_page(request, job)
    action = request.POST.get("action")
    try:
        if action == "start":
            import_queue(job=job)
        elif action == "resume":
            import_resume(job=job)
        else:
            return _check(request, job)
    except DomainError as error:
        return _job_page(request, job, error=error.message, status=409)
    return redirect("import-job", job_id=job.pk)


def _check(request: HttpRequest, job: ImportJob) -> HttpResponse:
    if job.is_running or job.is_finished or job.file_deleted_at is not None:
        return _job_page(request, job, error=_("This import has already run."), status=409)
    header, _rows = job_rows(job)
    form = _mapping_form(request, job, header, data=request.POST)
    if form.delimiter_char and form.delimiter_char != job.delimiter:
        try:
            import_redelimit(job=job, delimiter=form.delimiter_char)
        except ImportFileError as error:
            job.refresh_from_db()
            return _job_page(request, job, error=str(error), status=422)
        return redirect("import-job", job_id=job.pk)
    if not form.is_valid():
        return _job_page(request, job, form=form, status=422)
    try:
        import_check_start(job=job, mapping=form.mapping, options=form.options)
    except ImportFileError as error:
        job.refresh_from_db()
        return _job_page(request, job, form=form, error=str(error), status=422)
    return redirect("import-job", job_id=job.pk)


@never_cache
@login_required
@require_GET
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress bar, polled every second while the job runs; the report once it ends.
    When the worker's dry run ends, the whole page reloads to show its findings."""
    job = _own_job(request, job_id)
    if not (job.is_running or job.is_finished):
        return HttpResponseClientRefresh()
    context = {"job": job} | _report_context(job)
    return render(request, "deals/import_job.html#progress", context)
