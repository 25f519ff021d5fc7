"""Claim rows by compare-and-swap: one UPDATE … RETURNING (docs/domain/stalls-and-forecast.md).

The jobs must know exactly which rows *they* changed, so that a rerun or a second worker
running at the same moment notifies nobody twice. An UPDATE whose WHERE clause still holds
the old state (``NOT is_stalled``, ``reminded_at IS NULL``) answers that in the same
statement: PostgreSQL re-checks the condition on the latest row version after waiting for a
concurrent writer, so each row is claimed by one worker only; SQLite runs one writer at a
time. Both support RETURNING.
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet


def rows_claim(
    queryset: QuerySet, *, returning: Sequence[str], **changes: Any
) -> list[dict[str, Any]]:
    """Apply ``changes`` (values or expressions) to ``queryset``; return the changed rows.

    ``QuerySet.update()`` only counts rows. The returning flavour below is the one Django
    itself uses to save models (``QuerySet._update`` with ``returning_fields``); it takes
    the same expressions, so the ORM keeps the SQL portable between PostgreSQL and SQLite.
    """
    opts = queryset.model._meta
    values = [(opts.get_field(name), None, value) for name, value in changes.items()]
    fields = [opts.get_field(name) for name in returning]
    rows = queryset.order_by()._update(values, returning_fields=fields)
    names = [field.attname for field in fields]
    return [dict(zip(names, row, strict=True)) for row in rows]
