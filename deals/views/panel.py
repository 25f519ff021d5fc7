"""The deal page's side of an answer: its panel re-rendered whole, so the version, the
checklists and the timeline always agree with what was saved; without JavaScript, a
redirect back to the page with the message."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget, trigger_client_event

from deals.access import deal_get_visible_or_404
from deals.forms import LostForm
from deals.forms_deal import ActivityForm, DealEditForm
from deals.models import Deal
from deals.selectors.deal_page import DEAL_PAGE_QUERYSET, deal_page

PANEL = "deals/deal.html#panel"


def panel_id(deal_id: int) -> str:
    return f"deal-panel-{deal_id}"


def panel_context(request: HttpRequest, deal: Deal, **extra) -> dict:
    page = deal_page(user=request.user, deal=deal)
    context = {"page": page, "deal": deal, **extra}
    if page.editable:
        context.setdefault(
            "edit_form",
            DealEditForm(
                deal=deal, owner_choices=page.owner_choices, custom_fields=page.custom_fields
            ),
        )
        context.setdefault("activity_form", ActivityForm(prefix_id=f"deal-{deal.pk}-activity"))
        context.setdefault("lost_form", LostForm(initial={"version": deal.version}))
    return context


def panel_response(
    request: HttpRequest,
    deal_id: int,
    *,
    message: str = "",
    level: str = "success",
    status: int = 200,
    **extra,
) -> HttpResponse:
    """The panel as it is now, with a message; a plain redirect without htmx."""
    if not request.htmx:
        if message:
            messages.add_message(
                request, messages.SUCCESS if level == "success" else messages.ERROR, message
            )
        return redirect("deal-detail", deal_id=deal_id)
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    context = panel_context(request, deal, message=message, level=level, **extra)
    response = render(request, PANEL, context, status=status)
    response = retarget(response, f"#{panel_id(deal_id)}")
    # The board behind a dialog refreshes once the dialog closes.
    return trigger_client_event(reswap(response, "outerHTML"), "board-changed", {})


def form_errors(form: forms.Form) -> str:
    """A form's errors as one sentence per field, each named by its label."""
    return " ".join(
        _("%(field)s: %(error)s")
        % {"field": form.fields[name].label or name.replace("_", " ").capitalize(), "error": error}
        if name != "__all__" and name in form.fields
        else str(error)
        for name, errors in form.errors.items()
        for error in errors
    )
