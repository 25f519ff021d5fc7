"""The deal page (docs/domain/board.md): a full page, and the same panel in a dialog over the board.

Every action on the page calls one service and answers with the whole panel re-rendered
(panel.py). Its move, won, lost and reopen forms post to the action views the board uses
(actions.py); editing and ticking checklist items are the page's own.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from accounts.models import User
from deals.access import can_edit, deal_get_visible_or_404, edit_forbidden
from deals.forms_custom import custom_errors_to_form
from deals.forms_deal import ChecklistTickForm, DealEditForm
from deals.selectors.custom_values import deal_fields
from deals.selectors.deal_page import DEAL_PAGE_QUERYSET, reassign_choices
from deals.services.checklist import checklist_item_check, checklist_item_uncheck
from deals.services.deal_forms import deal_edit_with_contacts
from deals.views.panel import PANEL, panel_context, panel_id, panel_response
from deals.views.refusals import Page, invalid_form_answer, refusal_answer
from pipelinecrm.exceptions import DomainError, VersionConflict
from pipelines.models import ChecklistItem


@login_required
@require_GET
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    context = panel_context(request, deal, nav_section="deals")
    if request.htmx and request.htmx.target == panel_id(deal.pk):
        return render(request, PANEL, context)
    return render(request, "deals/deal.html", context)


@login_required
@require_GET
def deal_dialog(request: HttpRequest, deal_id: int) -> HttpResponse:
    """The deal page as a dialog over the board (the card title opens it)."""
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    response = render(request, "deals/deal.html#dialog", panel_context(request, deal))
    return reswap(retarget(response, "#dialog-slot"), "innerHTML")


@login_required
@require_POST
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    if not can_edit(request.user, deal):
        refusal = edit_forbidden()
        return refusal_answer(request, deal, refusal, page=Page.DEAL)
    form = DealEditForm(
        request.POST,
        deal=deal,
        owner_choices=reassign_choices(request.user),
        custom_fields=[field for field in deal_fields(deal.pipeline_id) if not field.is_archived],
    )
    if not form.is_valid():
        return invalid_form_answer(request, deal, form, page=Page.DEAL, status=422, edit_form=form)
    data = form.cleaned_data
    owner: User | None = data.get("owner")
    try:
        deal_edit_with_contacts(
            user=request.user,
            deal=deal,
            version=data["version"],
            owner=owner,
            organization_name=data["organization_name"],
            person_name=data["person_name"],
            title=data["title"],
            value=data["value"],
            expected_close_date=data["expected_close_date"],
            probability_override=data["probability_override"],
            custom_fields=form.custom_values(only_changed=True),
        )
    except VersionConflict as conflict:
        # The form's edits are lost with this answer: say so, not just "someone changed it".
        return panel_response(
            request,
            deal.pk,
            message=_("%(conflict)s Your changes were not saved.") % {"conflict": conflict.message},
            level="warning",
            status=409,
        )
    except ValidationError as error:
        # A custom value the service refused (a field archived meanwhile): next to its input.
        if custom_errors_to_form(form, error):
            return invalid_form_answer(
                request, deal, form, page=Page.DEAL, status=422, edit_form=form
            )
        return refusal_answer(request, deal, error, page=Page.DEAL)
    except DomainError as error:
        return refusal_answer(request, deal, error, page=Page.DEAL)
    return panel_response(request, deal.pk, message=_("Saved."))


@login_required
@require_POST
def deal_checklist(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get_visible_or_404(request.user, deal_id, DEAL_PAGE_QUERYSET)
    form = ChecklistTickForm(request.POST)
    if not form.is_valid():
        return invalid_form_answer(request, deal, form, page=Page.DEAL, status=200)
    item = (
        ChecklistItem.objects.select_related("stage")
        .filter(pk=form.cleaned_data["item"], stage__pipeline_id=deal.pipeline_id)
        .first()
    )
    if item is None:
        return panel_response(request, deal.pk, message=_("No such checklist item."), level="error")
    service = checklist_item_check if form.cleaned_data["checked"] else checklist_item_uncheck
    try:
        service(user=request.user, deal=deal, item=item, version=form.cleaned_data["version"])
    except (ValidationError, DomainError) as error:
        return refusal_answer(request, deal, error, page=Page.DEAL)
    return panel_response(request, deal.pk)
