"""CSV import pages (PRODUCT.md §9): upload, map the columns and check (dry run), then the
import runs as a Celery job while the page shows its progress bar (htmx polls a fragment
every second), and finally the report of created, updated and failed rows."""

import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from deals.forms_import import MappingForm, UploadForm
from deals.imports import (
    DELIMITER_CODES,
    DELIMITERS,
    PREVIEW_ROWS,
    TARGETS,
    ImportFileError,
    decode,
    describe_date_order,
    guess_mapping,
    read_table,
    sniff_delimiter,
)
from deals.models import ImportJob
from deals.services.imports import import_check, import_queue
from pipelinecrm.exceptions import DomainError

RECENT_JOBS = 10
REPORT_ROWS = 200
# Multipart framing around the file; a request this much over the limit is refused unread.
UPLOAD_OVERHEAD = 64 * 1024
_DECIMAL_COMMA = re.compile(r"\d,\d{1,2}(?:\s*[kKmM])?\s*$")
_DECIMAL_POINT = re.compile(r"\d\.\d{1,2}(?:\s*[kKmM])?\s*$")


def _limit_bytes() -> int:
    return settings.IMPORT_MAX_MB * 1024 * 1024


def _too_large(size: int) -> str:
    return (
        f"The file is {size / 1024 / 1024:.1f} MB; the limit is {settings.IMPORT_MAX_MB} MB. "
        "Split it into smaller files and import them one after the other."
    )


def _upload_page(request: HttpRequest, form: UploadForm, error: str = "", status: int = 200):
    jobs = ImportJob.objects.filter(user=request.user).defer("content")[:RECENT_JOBS]
    context = {
        "form": form,
        "error": error,
        "jobs": jobs,
        "limit_mb": settings.IMPORT_MAX_MB,
        "nav_section": "import",
    }
    return render(request, "deals/import.html", context, status=status)


def _guess_decimal_separator(table, mapping: dict[str, int]) -> str:
    """ "," when the value column's amounts look like 12,50 and none like 12.50."""
    index = mapping.get("value")
    if index is None:
        return "."
    values = [cells[index] for _, cells in table.rows[:500] if index < len(cells)]
    comma = any(_DECIMAL_COMMA.search(v) for v in values)
    point = any(_DECIMAL_POINT.search(v) for v in values)
    return "," if comma and not point else "."


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
        decoded = decode(upload.read())
        delimiter = sniff_delimiter(decoded.text)
        table = read_table(decoded.text, delimiter)
    except ImportFileError as error:
        return _upload_page(request, form, str(error), status=422)
    if not table.rows:
        return _upload_page(request, form, "The file has a header but no rows.", status=422)
    kind = form.cleaned_data["kind"]
    mapping = guess_mapping(kind, table.header)
    job = ImportJob.objects.create(
        user=request.user,
        kind=kind,
        file_name=upload.name[:255],
        content=decoded.text,
        encoding=decoded.encoding,
        delimiter=delimiter,
        mapping=mapping,
        options={
            "decimal_separator": _guess_decimal_separator(table, mapping),
            "encoding_notice": decoded.notice,
        },
        total=len(table.rows),
    )
    return redirect("import-job", job_id=job.pk)


def _own_job(request: HttpRequest, job_id: int) -> ImportJob:
    """A job is its importer's alone; anyone else's answers 404. The file's text (up to the
    size limit) is read only where needed, not on every poll of the progress bar."""
    job = ImportJob.objects.filter(pk=job_id, user=request.user).defer("content").first()
    if job is None:
        raise Http404("No such import.")
    return job


def _mapping_form(request: HttpRequest, job: ImportJob, header, data=None) -> MappingForm:
    initial = {f"map_{name}": str(index) for name, index in (job.mapping or {}).items()}
    initial |= {
        "delimiter": DELIMITER_CODES.get(job.delimiter, "comma"),
        "decimal_separator": (job.options or {}).get("decimal_separator", "."),
        "pipeline": (job.options or {}).get("pipeline"),
    }
    return MappingForm(data, job=job, header=header, user=request.user, initial=initial)


def _job_page(request: HttpRequest, job: ImportJob, form=None, error: str = "", status=200):
    context = {"job": job, "error": error, "nav_section": "import"}
    if not (job.is_running or job.is_finished):
        preview = read_table(job.content, job.delimiter, limit=PREVIEW_ROWS)
        context |= {
            "form": form or _mapping_form(request, job, preview.header),
            "preview": preview,
            "preview_width": range(len(preview.header)),
            "targets": TARGETS[job.kind],
            "date_note": describe_date_order((job.options or {}).get("date_order", "dmy")),
            "bad_rows": job.errors[:500],
            "delimiter_label": DELIMITERS.get(job.delimiter, job.delimiter),
        }
    context |= _report_context(job)
    return render(request, "deals/import_job.html", context, status=status)


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
    if action in ("start", "resume"):
        try:
            import_queue(job=job)
        except DomainError as error:
            return _job_page(request, job, error=error.message, status=409)
        return redirect("import-job", job_id=job.pk)
    if job.is_running or job.is_finished:
        return _job_page(request, job, error="This import has already run.", status=409)
    header = read_table(job.content, job.delimiter, limit=PREVIEW_ROWS).header
    form = _mapping_form(request, job, header, data=request.POST)
    if form.delimiter_char and form.delimiter_char != job.delimiter:
        return _redelimit(request, job, form.delimiter_char)
    if not form.is_valid():
        return _job_page(request, job, form=form, status=422)
    job.mapping, job.options = form.mapping, {**(job.options or {}), **form.options}
    job.options.pop("date_order", None)
    try:
        import_check(job=job)
    except ImportFileError as error:
        return _job_page(request, job, form=form, error=str(error), status=422)
    return redirect("import-job", job_id=job.pk)


def _redelimit(request: HttpRequest, job: ImportJob, delimiter: str) -> HttpResponse:
    """Read the columns again with another separator; the mapping is guessed anew."""
    try:
        table = read_table(job.content, delimiter)
    except ImportFileError as error:
        return _job_page(request, job, error=str(error), status=422)
    job.delimiter = delimiter
    job.mapping = guess_mapping(job.kind, table.header)
    job.status, job.errors, job.total = ImportJob.Status.UPLOADED, [], len(table.rows)
    job.save(update_fields=["delimiter", "mapping", "status", "errors", "total", "updated_at"])
    return redirect("import-job", job_id=job.pk)


@never_cache
@login_required
@require_GET
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress bar, polled every second while the job runs; the report once it ends."""
    job = _own_job(request, job_id)
    context = {"job": job} | _report_context(job)
    return render(request, "deals/import_job.html#progress", context)
