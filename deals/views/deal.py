"""The deal page (docs/domain/board.md): a full page, and the same panel in a dialog over the board.

Every action on the page calls one service and answers with the whole panel re-rendered,
so the version, the checklists and the timeline always agree with what was saved. Without
JavaScript the forms post normally and the answer redirects back to the page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import User
from deals.access import can_edit, deal_get_visible_or_404
from deals.forms import LostForm
from deals.forms_deal import ActivityForm, ChecklistTickForm, DealEditForm, StageForm
from deals.models import Deal
from deals.selectors.deal_page import DEAL_PAGE_QUERYSET, deal_page, reassign_choices
from deals.services.checklist import checklist_item_check, checklist_item_uncheck
from deals.services.contacts import organization_get_or_create, person_get_or_create
from deals.services.editing import deal_reassign, deal_update
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move, deal_reopen
from deals.views.actions import refused_dialog
from pipelinecrm.exceptions import ChecklistIncomplete, DomainError, Forbidden, VersionConflict
from pipelines.models import ChecklistItem

PANEL = "deals/deal.html#panel"


def panel_id(deal_id: int) -> str:
    return f"deal-panel-{deal_id}"


def _context(request: HttpRequest, deal: Deal, **extra) -> dict:
    page = deal_page(user=request.user, deal=deal)
    context = {"page": page, "deal": deal, **extra}
    if page.editable:
        context.setdefault("edit_form", DealEditForm(deal=deal, owner_choices=page.owner_choices))
        context.setdefault("activity_form", ActivityForm(prefix_id=f"deal-{deal.pk}-activity"))
        context.setdefault("lost_form", LostForm(initial={"version": deal.version}))
    return context


@login_required
@require_GET
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    context = _context(request, deal, nav_section="deals")
    if request.htmx and request.htmx.target == panel_id(deal.pk):
        return render(request, PANEL, context)
    return render(request, "deals/deal.html", context)


@login_required
@require_GET
def deal_dialog(request: HttpRequest, deal_id: int) -> HttpResponse:
    """The deal page as a dialog over the board (the card title opens it)."""
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    response = render(request, "deals/deal.html#dialog", _context(request, deal))
    return reswap(retarget(response, "#dialog-slot"), "innerHTML")


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
    context = _context(request, deal, message=message, level=level, **extra)
    response = render(request, PANEL, context, status=status)
    response = retarget(response, f"#{panel_id(deal_id)}")
    # The board behind a dialog refreshes once the dialog closes.
    return trigger_client_event(reswap(response, "outerHTML"), "board-changed", {})


def refusal_response(request: HttpRequest, deal: Deal, error: Exception) -> HttpResponse:
    """Map a service's refusal to the panel with a clear sentence."""
    if isinstance(error, VersionConflict):
        return panel_response(request, deal.pk, message=error.message, level="warning", status=409)
    if isinstance(error, ValidationError):
        return panel_response(request, deal.pk, message=" ".join(error.messages), level="error")
    return panel_response(
        request, deal.pk, message=error.message, level="error", status=error.status
    )


def _form_errors(form) -> str:
    return " ".join(
        f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: {error}"
        if name != "__all__" and name in form.fields
        else str(error)
        for name, errors in form.errors.items()
        for error in errors
    )


@login_required
@require_POST
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    if not can_edit(request.user, deal):
        return refusal_response(
            request, deal, Forbidden("You can see this deal but not change it.")
        )
    form = DealEditForm(request.POST, deal=deal, owner_choices=reassign_choices(request.user))
    if not form.is_valid():
        return panel_response(
            request, deal.pk, message=_form_errors(form), level="error", status=422, edit_form=form
        )
    data = form.cleaned_data
    try:
        with transaction.atomic():
            organization = organization_get_or_create(name=data["organization_name"])
            person = person_get_or_create(name=data["person_name"], organization=organization)
            updated = deal_update(
                user=request.user,
                deal=deal,
                version=data["version"],
                title=data["title"],
                value=data["value"],
                expected_close_date=data["expected_close_date"],
                organization=organization,
                person=person,
                probability_override=data["probability_override"],
            )
            owner: User | None = data.get("owner")
            if owner is not None and owner.pk != updated.owner_id:
                deal_reassign(
                    user=request.user, deal=updated, new_owner=owner, version=updated.version
                )
    except VersionConflict as conflict:
        return panel_response(
            request,
            deal.pk,
            message=conflict.message + " Your changes were not saved.",
            level="warning",
            status=409,
        )
    except (ValidationError, DomainError) as error:
        return refusal_response(request, deal, error)
    return panel_response(request, deal.pk, message="Saved.")


def _refused_dialog(request: HttpRequest, deal: Deal, missing, *, action: str, move: dict):
    """The board's checklist dialog, opened over the deal page; its form posts to the board's
    move (or won) view, which completes the items and moves in one step."""
    response = refused_dialog(request, deal, missing, action=action, move=move)
    return reswap(retarget(response, f"#deal-subdialog-{deal.pk}"), "innerHTML")


@login_required
@require_POST
def deal_stage(request: HttpRequest, deal_id: int) -> HttpResponse:
    """A click on the stage path: a move to the top of that stage, through deal_move."""
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    form = StageForm(request.POST)
    if not form.is_valid():
        return panel_response(request, deal.pk, message=_form_errors(form), level="error")
    move = {**form.cleaned_data, "position": None}
    try:
        result = deal_move(
            user=request.user, deal=deal, stage=move["stage"], version=move["version"]
        )
    except ChecklistIncomplete as refusal:
        if not request.htmx:
            return panel_response(request, deal.pk, message=refusal.message, level="error")
        return _refused_dialog(request, deal, refusal.missing, action="move", move=move)
    except (ValidationError, DomainError) as error:
        return refusal_response(request, deal, error)
    return panel_response(request, deal.pk, message=f"Moved to {result.to_stage.name}.")


@login_required
@require_POST
def deal_checklist(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    form = ChecklistTickForm(request.POST)
    if not form.is_valid():
        return panel_response(request, deal.pk, message=_form_errors(form), level="error")
    item = (
        ChecklistItem.objects.select_related("stage")
        .filter(pk=form.cleaned_data["item"], stage__pipeline_id=deal.pipeline_id)
        .first()
    )
    if item is None:
        return panel_response(request, deal.pk, message="No such checklist item.", level="error")
    service = checklist_item_check if form.cleaned_data["checked"] else checklist_item_uncheck
    try:
        service(user=request.user, deal=deal, item=item, version=form.cleaned_data["version"])
    except (ValidationError, DomainError) as error:
        return refusal_response(request, deal, error)
    return panel_response(request, deal.pk)


@login_required
@require_POST
def deal_won(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    form = StageForm({"stage": deal.stage_id, "version": request.POST.get("version")})
    if not form.is_valid():
        return panel_response(request, deal.pk, message=_form_errors(form), level="error")
    version = form.cleaned_data["version"]
    try:
        deal_mark_won(user=request.user, deal=deal, version=version)
    except ChecklistIncomplete as refusal:
        if not request.htmx:
            return panel_response(request, deal.pk, message=refusal.message, level="error")
        return _refused_dialog(
            request, deal, refusal.missing, action="won", move={"version": version}
        )
    except (ValidationError, DomainError) as error:
        return refusal_response(request, deal, error)
    return panel_response(request, deal.pk, message="Marked as won. 🎉")


@login_required
@require_POST
def deal_lost(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    form = LostForm(request.POST)
    if not form.is_valid():
        return panel_response(
            request, deal.pk, message=_form_errors(form), level="error", status=422, lost_form=form
        )
    try:
        deal_mark_lost(
            user=request.user,
            deal=deal,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except (ValidationError, DomainError) as error:
        return refusal_response(request, deal, error)
    return panel_response(request, deal.pk, message="Marked as lost.")


@login_required
@require_POST
def deal_reopen_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    form = StageForm({"stage": deal.stage_id, "version": request.POST.get("version")})
    if not form.is_valid():
        return panel_response(request, deal.pk, message=_form_errors(form), level="error")
    try:
        reopened = deal_reopen(user=request.user, deal=deal, version=form.cleaned_data["version"])
    except (ValidationError, DomainError) as error:
        return refusal_response(request, deal, error)
    return panel_response(request, deal.pk, message=f"Reopened in {reopened.stage.name}.")
