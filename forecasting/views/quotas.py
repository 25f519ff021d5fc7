"""Admin page: the quota grid, one year at a time (docs/domain/admin-pages.md).

Rows are active users and teams, columns the twelve months with each quarter's sum (as
``quota_for`` computes it). A blank cell means no quota; a team cell left blank shows its
members' sum as a hint. Any bad cell refuses the whole save, with the message at the cell.
"""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.decorators import admin_required
from accounts.forms import AdminForm
from accounts.models import AuditEntry
from forecasting.quota_rules import TEAM, QuotaKey, QuotaRow, quota_grid
from forecasting.services.quotas import quotas_save
from pipelinecrm.form_fields import AmountField

TEMPLATE = "forecasting/quotas.html"
FIRST_YEAR, LAST_YEAR = 2000, 2100


class QuotaGridForm(AdminForm):
    """One optional amount per row and month, named ``<user|team>-<id>-<MM>``."""

    def __init__(self, *args, rows: list[QuotaRow], months: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.cells: dict[str, QuotaKey] = {}
        for row in rows:
            for month in months:
                name = f"{row.kind}-{row.owner.pk}-{month:%m}"
                self.cells[name] = (row.kind, row.owner.pk, month)
                self.fields[name] = AmountField(
                    required=False,
                    max_digits=14,
                    decimal_places=2,
                    min_value=Decimal(0),
                    initial=row.amounts.get(month),
                    localize=True,
                    error_messages={
                        "min_value": _("A quota cannot be negative."),
                        "invalid": _("Type an amount, like 25000 or 25000.50."),
                        "max_digits": _("That amount is too large."),
                        "max_decimal_places": _("At most two decimals."),
                    },
                )

    def amounts(self) -> dict[QuotaKey, Decimal | None]:
        return {key: self.cleaned_data[name] for name, key in self.cells.items()}


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return min(max(year, FIRST_YEAR), LAST_YEAR)


def _quarters(months: list[datetime.date]) -> list[list[datetime.date]]:
    return [months[i : i + 3] for i in range(0, 12, 3)]


def _grid_context(year: int, rows, months, form: QuotaGridForm) -> dict:
    """Rows of cells for the template: each quarter's three inputs, then its sum."""
    table = []
    for row in rows:
        quarters = []
        for number, quarter in enumerate(_quarters(months), start=1):
            cells = []
            for month in quarter:
                bound = form[f"{row.kind}-{row.owner.pk}-{month:%m}"]
                hint = row.member_sums.get(month) if row.kind == TEAM else None
                cells.append({"field": bound, "month": month, "hint": hint})
            quarters.append({"number": number, "cells": cells, "total": row.total(quarter)})
        table.append({"row": row, "quarters": quarters, "year_total": row.total(months)})
    return {
        "nav_section": "admin",
        "admin_section": "quotas",
        "year": year,
        "years": [year - 1, year + 1],
        "months": months,
        "quarters": _quarters(months),
        "table": table,
        "form": form,
        "history": AuditEntry.objects.filter(action="quotas set").select_related("actor")[:20],
    }


@admin_required
@require_http_methods(["GET", "POST"])
def quotas(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    months, rows = quota_grid(year=year)
    form = QuotaGridForm(
        request.POST if request.method == "POST" else None, rows=rows, months=months
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = quotas_save(actor=request.user, amounts=form.amounts())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Quotas for %(year)s saved (%(count)s change).",
                        "Quotas for %(year)s saved (%(count)s changes).",
                        changed,
                    )
                    % {"year": year, "count": changed},
                )
                return redirect(f"{reverse('crm_admin:quotas')}?year={year}")
        context = _grid_context(year, rows, months, form)
        context["message"] = _("Nothing was saved: fix the highlighted amounts.")
        return render(request, TEMPLATE, context, status=422)
    return render(request, TEMPLATE, _grid_context(year, rows, months, form))
