"""Admin page: the lost reasons offered when a deal is marked lost (docs/domain/admin-pages.md).

htmx requests get the redrawn list (and a status line out of band); plain posts a redirect.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import admin_required
from accounts.forms import AdminForm, apply_service_errors
from accounts.selectors import audit_history
from deals.models import LostReason
from deals.services.lost_reasons import (
    lost_reason_create,
    lost_reason_rename,
    lost_reason_set_active,
    lost_reason_shift,
)
from pipelinecrm.exceptions import DomainError
from pipelines.forms import ShiftForm

TEMPLATE = "deals/lost_reasons.html"


class LostReasonForm(AdminForm):
    name = forms.CharField(
        max_length=100, error_messages={"required": gettext_lazy("Give the reason a name.")}
    )


def _context(forms: dict | None = None, **extra) -> dict:
    forms = forms or {}
    reasons = list(LostReason.objects.order_by("position", "name", "pk"))
    for reason in reasons:
        reason.form = forms.get(reason.pk) or LostReasonForm(
            prefix=f"reason-{reason.pk}", initial={"name": reason.name}
        )
    return {
        "nav_section": "admin",
        "admin_section": "lost-reasons",
        "reasons": reasons,
        "new_form": forms.get("new") or LostReasonForm(prefix="new"),
        "history": audit_history(LostReason.objects.all()),
        **extra,
    }


def _answer(request, message: str, *, status: int = 200, forms: dict | None = None):
    level = "success" if status == 200 else "error"
    if request.htmx:
        context = _context(forms, message=message, level=level)
        return render(request, f"{TEMPLATE}#update", context, status=status)
    if forms:
        return render(
            request, TEMPLATE, _context(forms, message=message, level=level), status=status
        )
    messages.add_message(request, messages.SUCCESS if status == 200 else messages.ERROR, message)
    return redirect("crm_admin:lost-reasons")


def _run(request, action: Callable[[], str], *, form=None, key=None) -> HttpResponse:
    if form is not None and not form.is_valid():
        return _answer(request, _("Nothing was saved."), status=422, forms={key: form})
    try:
        message = action()
    except ValidationError as error:
        if form is None:
            return _answer(request, " ".join(error.messages), status=400)
        apply_service_errors(form, error)
        return _answer(request, _("Nothing was saved."), status=422, forms={key: form})
    except DomainError as error:
        return _answer(request, error.message, status=error.status)
    return _answer(request, message)


@admin_required
@require_http_methods(["GET", "POST"])
def lost_reasons(request: HttpRequest) -> HttpResponse:
    """The list; posting the form at the bottom adds a reason."""
    if request.method == "GET":
        return render(request, TEMPLATE, _context())
    form = LostReasonForm(request.POST, prefix="new")

    def action() -> str:
        reason = lost_reason_create(actor=request.user, name=form.cleaned_data["name"])
        return _("“%(name)s” added.") % {"name": reason.name}

    return _run(request, action, form=form, key="new")


@admin_required
@require_POST
def lost_reason_edit(request: HttpRequest, reason_id: int) -> HttpResponse:
    reason = get_object_or_404(LostReason, pk=reason_id)
    form = LostReasonForm(request.POST, prefix=f"reason-{reason.pk}")

    def action() -> str:
        renamed = lost_reason_rename(
            actor=request.user, reason=reason, name=form.cleaned_data["name"]
        )
        return _("Renamed to “%(name)s”.") % {"name": renamed.name}

    return _run(request, action, form=form, key=reason.pk)


@admin_required
@require_POST
def lost_reason_shift_view(request: HttpRequest, reason_id: int) -> HttpResponse:
    reason = get_object_or_404(LostReason, pk=reason_id)
    form = ShiftForm(request.POST)
    if not form.is_valid():
        return _answer(request, _("Say up or down."), status=400)

    def action() -> str:
        lost_reason_shift(actor=request.user, reason=reason, offset=form.offset)
        if form.cleaned_data["direction"] == "up":
            return _("“%(name)s” moved up.") % {"name": reason.name}
        return _("“%(name)s” moved down.") % {"name": reason.name}

    return _run(request, action)


@admin_required
@require_POST
def lost_reason_active(request: HttpRequest, reason_id: int) -> HttpResponse:
    """``active=0`` deactivates (no longer offered; deals keep it), ``active=1`` restores."""
    reason = get_object_or_404(LostReason, pk=reason_id)
    active = request.POST.get("active") == "1"

    def action() -> str:
        lost_reason_set_active(actor=request.user, reason=reason, active=active)
        if active:
            return _("“%(name)s” is offered again.") % {"name": reason.name}
        return _("“%(name)s” is no longer offered.") % {"name": reason.name}

    return _run(request, action)
