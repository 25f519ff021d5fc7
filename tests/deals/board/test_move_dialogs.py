"""The move dialogs: completing missing items, overriding them, choosing a stage."""

import re
from decimal import Decimal

from django.urls import reverse

from deals.models import Activity, ChecklistCheck, MoveRefusal, StageChange
from pipelines.models import Pipeline
from tests.deals.board.helpers import ACTIVITY, ENTRY, EXIT, FIELD, HTMX, BoardHTML, move, snapshot
from tests.factories import make_deal, make_item, make_pipeline, reload
from tests.helpers import assert_no_inline_script


def test_forward_move_with_missing_item_answers_409_with_the_dialog(
    company, login, prospecting, qualification
):
    item = make_item(prospecting, EXIT, text="Budget confirmed")
    make_item(prospecting, EXIT, text="Optional nicety", is_required=False)
    deal = make_deal(company.rep1, company.sales, prospecting)
    before = snapshot(deal)

    response = move(login(company.rep1), deal, qualification)

    assert response.status_code == 409
    assert response["HX-Retarget"] == "#dialog-slot"
    assert "move-refused" in response["HX-Trigger"]
    assert "Budget confirmed" in response.text
    assert "Optional nicety" not in response.text
    assert f'name="check" value="{item.pk}"' in response.text
    assert "Complete and move" in response.text
    assert 'name="override_reason"' not in response.text  # reps cannot override
    assert snapshot(deal) == before
    refusal = MoveRefusal.objects.get(deal=deal)
    assert list(refusal.missing_items.all()) == [item]
    assert_no_inline_script(response)


def test_dialog_ticks_the_entry_items_of_a_stage_in_another_pipeline(company, login, prospecting):
    upsell = make_pipeline("Upsell", stages=[("Review", 30), ("Signed", 90)])
    review = upsell.stages.get(name="Review")
    manual = make_item(review, ENTRY, text="Renewal owner agreed")
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.rep1)

    refused = move(client, deal, review, pipeline=upsell.pk, source="dialog")
    assert refused.status_code == 409
    assert f'name="check" value="{manual.pk}"' in refused.text
    assert f'name="pipeline" value="{upsell.pk}"' in refused.text

    done = move(client, deal, review, pipeline=upsell.pk, source="dialog", check=manual.pk)

    assert done.status_code == 200
    assert (reload(deal).pipeline_id, reload(deal).stage_id) == (upsell.pk, review.pk)
    assert ChecklistCheck.objects.filter(deal=deal, item=manual).exists()


def test_dialog_completes_items_fields_and_activity_and_moves_in_one_request(
    company, login, prospecting, qualification
):
    manual = make_item(prospecting, EXIT, text="Budget confirmed")
    make_item(qualification, ENTRY, text="Value known", satisfied_by=FIELD, field_name="value")
    make_item(
        qualification, ENTRY, text="Demo held", satisfied_by=ACTIVITY, activity_kind="meeting"
    )
    deal = make_deal(company.rep1, company.sales, prospecting, value=None)
    client = login(company.rep1)

    refused = move(client, deal, qualification)
    assert refused.status_code == 409
    assert 'name="value"' in refused.text
    assert 'name="activity_subject"' in refused.text

    response = move(
        client,
        deal,
        qualification,
        source="dialog",
        check=manual.pk,
        value="4200",
        activity_kind="meeting",
        activity_subject="Demo with the buyer",
    )

    assert response.status_code == 200
    assert "close-dialog" in response["HX-Trigger"]
    columns = BoardHTML(response)
    assert (f"column-{prospecting.pk}", "true") in columns.oob
    assert (f"column-{qualification.pk}", "true") in columns.oob
    assert columns.cards[qualification.pk] == [deal.pk]
    # Cards ride inside their column, not as out-of-band swaps of their own.
    assert (f"deal-{deal.pk}", "true") not in columns.oob
    deal = reload(deal)
    assert deal.stage_id == qualification.pk
    assert deal.value == Decimal(4200)
    assert ChecklistCheck.objects.filter(deal=deal, item=manual, checked_by=company.rep1).exists()
    meeting = Activity.objects.get(deal=deal)
    assert (meeting.kind, meeting.subject, meeting.done_at is not None) == (
        "meeting",
        "Demo with the buyer",
        True,
    )
    assert_no_inline_script(response)


def test_dialog_with_items_still_missing_refuses_again_and_writes_nothing(
    company, login, prospecting, qualification
):
    ticked = make_item(prospecting, EXIT, text="Budget confirmed")
    make_item(prospecting, EXIT, text="Decision maker known")
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = move(login(company.rep1), deal, qualification, source="dialog", check=ticked.pk)

    assert response.status_code == 409
    assert "Decision maker known" in response.text
    assert not ChecklistCheck.objects.filter(deal=deal).exists()
    assert reload(deal).stage_id == prospecting.pk


def test_manager_overrides_missing_items_with_a_reason(company, login, prospecting, qualification):
    item = make_item(prospecting, EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.manager)

    refused = move(client, deal, qualification)
    assert refused.status_code == 409
    assert 'name="override_reason"' in refused.text

    response = move(
        client, deal, qualification, source="dialog", override_reason="Signed on the phone"
    )

    assert response.status_code == 200
    assert reload(deal).stage_id == qualification.pk
    change = StageChange.objects.get(deal=deal, from_stage=prospecting)
    assert change.override_reason == "Signed on the phone"
    assert list(change.overridden_items.all()) == [item]


def test_rep_cannot_override(company, login, prospecting, qualification):
    make_item(prospecting, EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, prospecting)
    before = snapshot(deal)

    response = move(login(company.rep1), deal, qualification, override_reason="Trust me")

    assert response.status_code == 403
    assert snapshot(deal) == before


def test_move_dialog_lists_stages_of_active_pipelines(company, login, prospecting):
    deal = make_deal(company.rep1, company.sales, prospecting)
    Pipeline.objects.create(name="Dormant", is_active=False)

    response = login(company.rep1).get(reverse("deal-move", args=[deal.pk]), **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#dialog-slot"
    assert re.search(rf'<option value="{prospecting.pk}"\s+selected>', response.text)
    for stage in company.private.stages.all():
        assert f'<option value="{stage.pk}"' in response.text
    assert "Dormant" not in response.text
    assert_no_inline_script(response)
