"""Forward jumps (docs/domain/moves.md; docs/hardening/forward-jumps.md).

On a strict pipeline a forward move over stages needs the required exit items of every
stage it leaves behind and the entry items of every stage it passes over; won from an
early stage needs the exit items of every later stage. On an allowed pipeline skipped
stages impose nothing. The board's and the API's refusals list the items by stage, and the
dialog completes them in one step.
"""

import re
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse

from deals.models import ChecklistCheck, DealEvent, MoveRefusal, StageChange
from deals.services.activities import activity_log
from deals.services.checklist import checklist_item_check
from deals.services.completion import requirements_completer
from deals.services.editing import deal_update
from deals.services.moves import deal_mark_won, deal_move
from pipelinecrm.exceptions import ChecklistIncomplete, Forbidden, InvalidRequest
from pipelines.models import ChecklistItem, Pipeline
from tests.factories import make_deal, make_item, make_pipeline, reload

pytestmark = pytest.mark.django_db

EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY
FIELD, ACTIVITY = ChecklistItem.SatisfiedBy.FIELD, ChecklistItem.SatisfiedBy.ACTIVITY
STRICT, ALLOWED = Pipeline.ForwardJumps.STRICT, Pipeline.ForwardJumps.ALLOWED
HTMX = {"HTTP_HX_REQUEST": "true"}


def checklists(pipeline: Pipeline) -> SimpleNamespace:
    """Required items on the first five stages of ``pipeline``, one optional item, and the
    stages by name. A jump from Prospecting to Proposal skips Qualification and Meeting."""
    prospecting, qualification, meeting, proposal, negotiation, contract = pipeline.stages.order_by(
        "position"
    )
    return SimpleNamespace(
        pipeline=pipeline,
        prospecting=prospecting,
        qualification=qualification,
        meeting=meeting,
        proposal=proposal,
        negotiation=negotiation,
        contract=contract,
        first_call=make_item(prospecting, EXIT, text="First call held"),
        lead_scored=make_item(qualification, ENTRY, text="Lead scored"),
        need=make_item(qualification, EXIT, text="Need confirmed"),
        nice_to_have=make_item(qualification, EXIT, text="Org chart drawn", is_required=False),
        demo_date=make_item(meeting, ENTRY, text="Demo date agreed"),
        demo=make_item(
            meeting, EXIT, text="Demo meeting held", satisfied_by=ACTIVITY, activity_kind="meeting"
        ),
        budget=make_item(
            proposal,
            ENTRY,
            text="Close date set",
            satisfied_by=FIELD,
            field_name="expected_close_date",
        ),
        proposal_sent=make_item(proposal, EXIT, text="Proposal sent"),
        terms=make_item(negotiation, EXIT, text="Terms agreed"),
        approval=make_item(contract, ENTRY, text="Price approved"),
        signed=make_item(contract, EXIT, text="Contract signed"),
    )


@pytest.fixture
def strict(company):
    return checklists(make_pipeline("Strict sales", forward_jumps=STRICT))


@pytest.fixture
def allowed(company):
    return checklists(make_pipeline("Easy sales", forward_jumps=ALLOWED))


def jump_needs(s: SimpleNamespace) -> list[ChecklistItem]:
    """What a strict jump Prospecting → Proposal needs, in pipeline order."""
    return [s.first_call, s.lead_scored, s.need, s.demo_date, s.demo, s.budget]


def refused_items(**move) -> list[ChecklistItem]:
    with pytest.raises(ChecklistIncomplete) as refusal:
        deal_move(**move)
    return refusal.value.missing


# --- the service ----------------------------------------------------------------------------


def test_strict_jump_over_two_stages_needs_every_skipped_stage_in_pipeline_order(company, strict):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)

    missing = refused_items(
        user=company.rep1, deal=deal, stage=strict.proposal, version=deal.version
    )

    # Not the target's exit items, nor optional ones, nor those of stages further on.
    assert missing == jump_needs(strict)
    assert reload(deal).stage == strict.prospecting
    refusal = MoveRefusal.objects.get(deal=deal)
    assert set(refusal.missing_items.all()) == set(jump_needs(strict))


def test_allowed_jump_over_two_stages_needs_only_the_current_exit_and_target_entry(
    company, allowed
):
    deal = make_deal(company.rep1, allowed.pipeline, allowed.prospecting)

    missing = refused_items(
        user=company.rep1, deal=deal, stage=allowed.proposal, version=deal.version
    )

    assert missing == [allowed.first_call, allowed.budget]


def test_strict_one_step_forward_needs_what_it_always_needed(company, strict):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)

    missing = refused_items(
        user=company.rep1, deal=deal, stage=strict.qualification, version=deal.version
    )

    assert missing == [strict.first_call, strict.lead_scored]


def test_strict_jump_moves_once_every_skipped_stage_is_done(company, strict):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting, expected_close_date=None)
    for item in (strict.first_call, strict.lead_scored, strict.need, strict.demo_date):
        deal = checklist_item_check(user=company.rep1, deal=deal, item=item)
    activity_log(user=company.rep1, deal=deal, kind="meeting", subject="Demo")
    deal = reload(deal)
    assert refused_items(
        user=company.rep1, deal=deal, stage=strict.proposal, version=deal.version
    ) == [strict.budget]  # the close date is still empty

    deal = deal_update(
        user=company.rep1, deal=deal, version=None, expected_close_date=deal.created_at.date()
    )
    result = deal_move(user=company.rep1, deal=deal, stage=strict.proposal, version=deal.version)

    assert reload(deal).stage == strict.proposal
    assert not StageChange.objects.get(deal=deal, to_stage=strict.proposal).override_reason
    assert result.changed_stage


def test_backward_jump_on_a_strict_pipeline_needs_nothing(company, strict):
    deal = make_deal(company.rep1, strict.pipeline, strict.contract)

    deal_move(user=company.rep1, deal=deal, stage=strict.prospecting, version=deal.version)

    assert reload(deal).stage == strict.prospecting


def test_won_from_an_early_stage_on_strict_needs_the_exit_items_of_every_later_stage(
    company, strict
):
    deal = make_deal(company.rep1, strict.pipeline, strict.qualification)

    with pytest.raises(ChecklistIncomplete) as refusal:
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    # Exit items only (won enters no stage), from the current stage on; not Prospecting's.
    assert refusal.value.missing == [
        strict.need,
        strict.demo,
        strict.proposal_sent,
        strict.terms,
        strict.signed,
    ]
    assert reload(deal).status == "open"
    assert MoveRefusal.objects.filter(deal=deal, to_stage=strict.qualification).exists()


def test_won_from_an_early_stage_on_allowed_needs_the_current_exit_items_only(company, allowed):
    deal = make_deal(company.rep1, allowed.pipeline, allowed.qualification)

    with pytest.raises(ChecklistIncomplete) as refusal:
        deal_mark_won(user=company.rep1, deal=deal, version=deal.version)

    assert refusal.value.missing == [allowed.need]


def test_a_manager_overrides_a_strict_jump_and_every_item_is_recorded(company, strict):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)
    with pytest.raises(Forbidden):
        deal_move(
            user=company.rep1,
            deal=deal,
            stage=strict.proposal,
            version=deal.version,
            override_reason="Trust me",
        )

    deal_move(
        user=company.manager,
        deal=deal,
        stage=strict.proposal,
        version=deal.version,
        override_reason="Signed letter of intent",
    )

    change = StageChange.objects.get(deal=deal, to_stage=strict.proposal)
    assert change.override_reason == "Signed letter of intent"
    assert set(change.overridden_items.all()) == set(jump_needs(strict))


def test_an_admin_overrides_won_from_an_early_stage_and_every_item_is_recorded(company, strict):
    deal = make_deal(company.rep1, strict.pipeline, strict.negotiation)

    deal_mark_won(
        user=company.admin, deal=deal, version=deal.version, override_reason="Signed on paper"
    )

    event = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.WON)
    assert event.data["overridden_items"] == ["Terms agreed", "Contract signed"]
    assert reload(deal).status == "won"


def test_a_move_to_another_pipeline_needs_the_target_entry_items_only(company, strict):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)
    other = make_pipeline("Other strict", forward_jumps=STRICT)
    first, _, third, *_ = other.stages.order_by("position")
    make_item(first, EXIT, text="Not asked: a stage of the other pipeline passed over")
    entry = make_item(third, ENTRY, text="Handover done")

    missing = refused_items(
        user=company.rep1, deal=deal, stage=third, pipeline=other, version=deal.version
    )

    assert missing == [entry]


def test_the_completer_ticks_the_manual_items_of_every_skipped_stage_in_one_step(company, strict):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)
    manual = [strict.first_call, strict.lead_scored, strict.need, strict.demo_date]
    complete = requirements_completer(
        user=company.rep1,
        check_item_ids=[item.pk for item in manual],
        fields={"expected_close_date": deal.created_at.date()},
        activity_kind="meeting",
        activity_subject="Demo with the buyer",
    )

    deal_move(
        user=company.rep1,
        deal=deal,
        stage=strict.proposal,
        version=deal.version,
        complete=complete,
    )

    assert reload(deal).stage == strict.proposal
    assert set(ChecklistCheck.objects.filter(deal=deal).values_list("item", flat=True)) == {
        item.pk for item in manual
    }


@pytest.mark.parametrize("outsider", ["proposal_sent", "nice_to_have", "approval"])
def test_the_completer_refuses_an_item_the_move_does_not_need(company, strict, outsider):
    """The target's exit items, optional items and stages beyond the target are not part
    of the refusal, so the dialog cannot tick them on the way; nothing is applied."""
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)
    complete = requirements_completer(
        user=company.rep1,
        check_item_ids=[strict.first_call.pk, getattr(strict, outsider).pk],
    )

    with pytest.raises(InvalidRequest):
        deal_move(
            user=company.rep1,
            deal=deal,
            stage=strict.proposal,
            version=deal.version,
            complete=complete,
        )

    assert not ChecklistCheck.objects.filter(deal=deal).exists()
    assert reload(deal).stage == strict.prospecting


# --- the API ------------------------------------------------------------------------------


def test_api_refusal_lists_the_items_of_each_skipped_stage_with_their_stage(company, strict, api):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)
    client = api(company.rep1)

    response = client.post(
        f"/api/v1/deals/{deal.pk}/move/",
        {"stage": strict.proposal.pk, "version": deal.version},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "checklist_incomplete"
    assert [(item["id"], item["stage"], item["kind"]) for item in body["missing"]] == [
        (item.pk, item.stage_id, item.kind) for item in jump_needs(strict)
    ]


# --- the dialog ---------------------------------------------------------------------------


def dialog_groups(html: str) -> list[tuple[str, list[str]]]:
    """(stage heading, item ids listed under it) of each stage section, in page order."""
    sections = re.findall(r'<section class="missing-stage".*?</section>', html, re.S)
    return [
        (
            re.search(r"<h3[^>]*>(.*?)</h3>", section, re.S).group(1).strip(),
            re.findall(r'data-item-id="(\d+)"', section),
        )
        for section in sections
    ]


def test_board_dialog_lists_the_missing_items_grouped_by_stage_in_pipeline_order(
    company, strict, login
):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)

    response = login(company.rep1).post(
        reverse("deal-move", args=[deal.pk]),
        {"stage": strict.proposal.pk, "version": deal.version, "source": "drag"},
        **HTMX,
    )

    assert response.status_code == 409
    assert dialog_groups(response.text) == [
        ("Prospecting", [str(strict.first_call.pk)]),
        ("Qualification", [str(strict.lead_scored.pk), str(strict.need.pk)]),
        ("Meeting/Demo", [str(strict.demo_date.pk), str(strict.demo.pk)]),
        ("Proposal", [str(strict.budget.pk)]),
    ]
    for item in (strict.first_call, strict.lead_scored, strict.need, strict.demo_date):
        assert f'name="check" value="{item.pk}"' in response.text


def test_deal_page_won_dialog_lists_every_later_stage_by_stage(company, strict, login):
    deal = make_deal(company.rep1, strict.pipeline, strict.proposal)

    response = login(company.rep1).post(
        reverse("deal-won", args=[deal.pk]), {"version": deal.version}, **HTMX
    )

    assert response.status_code == 409
    assert [name for name, _ in dialog_groups(response.text)] == [
        "Proposal",
        "Negotiation",
        "Contract sent",
    ]


def test_board_dialog_completes_every_skipped_stage_and_moves_in_one_request(
    company, strict, login
):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)
    manual = [strict.first_call, strict.lead_scored, strict.need, strict.demo_date]

    response = login(company.rep1).post(
        reverse("deal-move", args=[deal.pk]),
        {
            "stage": strict.proposal.pk,
            "version": deal.version,
            "source": "dialog",
            "check": [item.pk for item in manual],
            "expected_close_date": "2030-01-31",
            "activity_kind": "meeting",
            "activity_subject": "Demo with the buyer",
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert reload(deal).stage == strict.proposal
    assert ChecklistCheck.objects.filter(deal=deal).count() == len(manual)


def test_board_dialog_refuses_to_tick_an_item_outside_the_refusal(company, strict, login):
    deal = make_deal(company.rep1, strict.pipeline, strict.prospecting)

    response = login(company.rep1).post(
        reverse("deal-move", args=[deal.pk]),
        {
            "stage": strict.proposal.pk,
            "version": deal.version,
            "source": "dialog",
            "check": [strict.first_call.pk, strict.signed.pk],
        },
        **HTMX,
    )

    assert response.status_code == 400
    assert "not one of the available choices" in response.text
    assert not ChecklistCheck.objects.filter(deal=deal).exists()
    assert reload(deal).stage == strict.prospecting


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_sales_pipeline_is_strict_and_renewals_lets_deals_skip(db):
    call_command(
        "seed_demo", "--deals", "0", "--seed", "1", "--password", "demo-pass-1", verbosity=0
    )

    assert dict(Pipeline.objects.values_list("name", "forward_jumps")) == {
        "Sales": STRICT,
        "Renewals": ALLOWED,
    }
