"""The one mapping from a refusal to an htmx answer (deals/views/refusals.py), tested once
per exception type and page; the rules that raise them are tested on the services."""

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from deals.views.refusals import Page, refusal_answer
from pipelinecrm.exceptions import ChecklistIncomplete, Forbidden, InvalidRequest, VersionConflict
from tests.factories import make_deal, make_item


def _request(user, *, htmx: bool = True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    request = RequestFactory().post("/", **headers)
    request.user = user
    request.htmx = HtmxDetails(request)
    SessionMiddleware(lambda r: None).process_request(request)
    request._messages = FallbackStorage(request)
    return request


def _refusals(company) -> dict:
    item = make_item(company.stages[0], text="Budget confirmed")
    return {
        "checklist": ChecklistIncomplete([item]),
        "conflict": VersionConflict(current_version=7),
        "forbidden": Forbidden("You can see this deal but not move it."),
        "invalid": InvalidRequest("Position 9 is outside this column (0–2).", field="position"),
        "validation": ValidationError({"owner": "Choose someone in your team."}),
    }


# refusal, page → status, where the answer goes, what it says, the event it triggers.
ANSWERS = [
    ("checklist", Page.BOARD, 409, "#dialog-slot", "Budget confirmed", "move-refused"),
    ("checklist", Page.DEAL, 409, "#deal-subdialog-{pk}", "Budget confirmed", None),
    ("conflict", Page.BOARD, 409, "#toast", "Someone else changed this deal", "board-changed"),
    ("conflict", Page.DEAL, 409, "#deal-panel-{pk}", "Someone else changed this deal", None),
    ("forbidden", Page.BOARD, 403, "#toast", "but not move it", None),
    ("forbidden", Page.DEAL, 403, "#deal-panel-{pk}", "but not move it", None),
    ("invalid", Page.BOARD, 400, "#toast", "outside this column", None),
    ("invalid", Page.DEAL, 400, "#deal-panel-{pk}", "outside this column", None),
    ("validation", Page.BOARD, 400, "#toast", "Choose someone in your team.", None),
    ("validation", Page.DEAL, 400, "#deal-panel-{pk}", "Choose someone in your team.", None),
]


@pytest.mark.parametrize(("refusal", "page", "status", "target", "text", "event"), ANSWERS)
def test_each_refusal_has_one_answer_per_page(
    company, deal, refusal, page, status, target, text, event
):
    error = _refusals(company)[refusal]
    move = {"stage": company.stages[1].pk, "version": deal.version}

    response = refusal_answer(
        _request(company.rep1), deal, error, page=page, action="move", move=move
    )

    assert response.status_code == status
    assert response["HX-Retarget"] == target.format(pk=deal.pk)
    assert text in response.content.decode()
    if event:
        assert event in response["HX-Trigger"]


def test_the_checklist_dialog_retries_the_same_move(company, deal):
    neighbour = make_deal(company.rep1, company.sales, company.stages[1])
    move = {"stage": company.stages[1].pk, "version": deal.version, "before": neighbour.pk}

    response = refusal_answer(
        _request(company.rep1),
        deal,
        _refusals(company)["checklist"],
        page=Page.BOARD,
        action="move",
        move=move,
    )

    body = response.content.decode()
    assert f'hx-post="{reverse("deal-move", args=[deal.pk])}"' in body
    assert f'name="before" value="{neighbour.pk}"' in body
    assert f'name="stage" value="{company.stages[1].pk}"' in body


@pytest.mark.parametrize("refusal", ["checklist", "conflict", "forbidden", "invalid"])
def test_without_javascript_the_deal_page_redirects_back_with_the_message(company, deal, refusal):
    request = _request(company.rep1, htmx=False)

    response = refusal_answer(request, deal, _refusals(company)[refusal], page=Page.DEAL)

    assert response.status_code == 302
    assert response.url == reverse("deal-detail", args=[deal.pk])
    assert [m.level_tag for m in request._messages] == ["error"]
