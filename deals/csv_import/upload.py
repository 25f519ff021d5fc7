"""Storing an uploaded CSV file and reading it back: the file is stored chunk by chunk while
its encoding is decided, and read back as a stream of stored chunks, so it is never in memory
whole (docs/hardening/imports.md)."""

import itertools
from functools import partial
from typing import TextIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from deals.csv_import.files import (
    CHUNK_BYTES,
    GUESS_ROWS,
    SNIFF_BYTES,
    ChunkStream,
    EncodingSniffer,
    ImportFileError,
    Rows,
    open_table,
    sniff_delimiter,
    text_of,
)
from deals.csv_import.mapping import guess_mapping
from deals.csv_import.values import guess_decimal_separator
from deals.models import ImportChunk, ImportJob
from pipelinecrm.exceptions import InvalidRequest


def file_deleted_message() -> str:
    return _(
        "The file of this import was deleted after %(days)s days, as all imported files are; "
        "the report is kept. Upload the file again to import it."
    ) % {"days": settings.IMPORT_RETENTION_DAYS}


def _separator_options(job: ImportJob, rows: list[tuple[int, list[str]]]) -> dict:
    """The decimal separator guessed from the value column, or "" with the cells that read
    either way, for the mapping step to ask about (docs/domain/imports.md)."""
    language = job.user.language or translation.get_language() or settings.LANGUAGE_CODE
    guess = guess_decimal_separator(rows, job.mapping, language)
    return {"decimal_separator": guess.separator, "decimal_ambiguous": guess.ambiguous}


def _stored_chunk(job_id: int, index: int) -> bytes | None:
    return (
        ImportChunk.objects.filter(job_id=job_id, index=index)
        .values_list("data", flat=True)
        .first()
    )


def job_text(job: ImportJob) -> TextIO:
    if job.file_deleted_at is not None:
        raise InvalidRequest(file_deleted_message())
    return text_of(ChunkStream(partial(_stored_chunk, job.pk)), job.codec)


def job_rows(job: ImportJob) -> tuple[list[str], Rows]:
    """The job's header, and its rows as a stream read one stored chunk at a time."""
    return open_table(job_text(job), job.delimiter)


@transaction.atomic
def import_upload(*, user: User, kind: str, upload: UploadedFile) -> ImportJob:
    """Store the upload chunk by chunk while its encoding is decided, then read it back as a
    stream to find its separator, count its rows and guess the mapping. At no point is the
    whole file in memory; a file that cannot be read leaves nothing behind."""
    job = ImportJob.objects.create(user=user, kind=kind, file_name=upload.name[:255])
    sniffer = EncodingSniffer()
    upload.seek(0)
    # Not ``upload.chunks()``: for a file Django kept in memory it yields the whole file.
    for index, data in enumerate(iter(partial(upload.read, CHUNK_BYTES), b"")):
        sniffer.feed(data)
        ImportChunk.objects.create(job=job, index=index, data=data)
    encoding = sniffer.result()
    job.codec, job.encoding = encoding.codec, encoding.label
    try:
        job.delimiter = sniff_delimiter(job_text(job).read(SNIFF_BYTES))
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file starts like %(encoding)s but is not.") % {"encoding": encoding.label}
        ) from None
    header, rows = job_rows(job)
    first_rows = list(itertools.islice(rows, GUESS_ROWS))
    job.total = len(first_rows) + sum(1 for _row in rows)
    if not job.total:
        raise ImportFileError(_("The file has a header but no rows."))
    job.mapping = guess_mapping(kind, header)
    job.options = _separator_options(job, first_rows) | {"encoding_notice": encoding.notice}
    job.save()
    return job


@transaction.atomic
def import_redelimit(*, job: ImportJob, delimiter: str) -> ImportJob:
    """Read the columns again with another separator; the mapping is guessed anew."""
    if job.is_running or job.is_finished:
        raise InvalidRequest(_("This import has already run."))
    job.delimiter = delimiter
    header, rows = job_rows(job)
    job.mapping = guess_mapping(job.kind, header)
    first_rows = list(itertools.islice(rows, GUESS_ROWS))
    job.total = len(first_rows) + sum(1 for _row in rows)
    job.options = {**(job.options or {}), **_separator_options(job, first_rows)}
    job.status, job.errors = ImportJob.Status.UPLOADED, []
    job.save(
        update_fields=["delimiter", "mapping", "options", "status", "errors", "total", "updated_at"]
    )
    return job
