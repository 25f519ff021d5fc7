"""Admin pages: the stage designer — add, edit,
reorder and remove stages (docs/domain/admin-pages.md).

Designer actions are posted as htmx does (the answer is the redrawn stage list with the
history and a status line out of band) unless a test is about the no-JavaScript path.
"""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from deals.models import ChecklistCheck, Deal, DealEvent, LostReason, StageChange
from deals.services.moves import deal_mark_lost, deal_move, deal_reopen
from deals.services.stage_removal import removal_reason
from pipelinecrm.exceptions import ChecklistIncomplete
from pipelines.models import ChecklistItem, Pipeline, Stage
from tests.factories import make_deal, make_item, make_pipeline

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ENTRY, EXIT = ChecklistItem.Kind.ENTRY, ChecklistItem.Kind.EXIT


def _names(pipeline: Pipeline) -> list[str]:
    """Active stages in board order."""
    return list(
        pipeline.stages.filter(is_archived=False)
        .order_by("position")
        .values_list("name", flat=True)
    )


def _positions(pipeline: Pipeline) -> list[int]:
    return list(pipeline.stages.order_by("position").values_list("position", flat=True))


def _stage_form(prefix: str, **values) -> dict:
    data = {"name": "", "probability": "", "stall_threshold_days": "", "guidance": ""} | values
    return {f"{prefix}-{key}": value for key, value in data.items()}


def _add(client, pipeline, **values):
    return client.post(
        reverse("crm_admin:stage-create", args=[pipeline.pk]),
        _stage_form("new-stage", **values),
        **HTMX,
    )


def _edit(client, stage, **values):
    current = {
        "name": stage.name,
        "probability": stage.probability,
        "stall_threshold_days": stage.stall_threshold_days or "",
        "guidance": stage.guidance,
    }
    return client.post(
        reverse("crm_admin:stage-edit", args=[stage.pk]),
        _stage_form(f"stage-{stage.pk}", **(current | values)),
        **HTMX,
    )


def _remove(client, stage, target=None, **extra):
    data = {"target": target.pk} if target else {}
    return client.post(reverse("crm_admin:stage-remove", args=[stage.pk]), data, **extra)


# -- The designer page -----------------------------------------------------------------


def test_designer_lists_active_stages_in_order_compactly_with_their_checklist_counts(
    admin_client, company
):
    make_item(company.stages[2], ENTRY, text="Decision maker identified")
    make_item(
        company.stages[2], EXIT, text="Demo given", satisfied_by="activity", activity_kind="meeting"
    )
    make_item(company.stages[2], EXIT, text="Hidden", is_archived=True)
    make_deal(company.rep1, company.sales, company.stages[2])

    page = admin_client.get(reverse("crm_admin:pipeline", args=[company.sales.pk])).content.decode()

    titles = [
        f'<h3 id="stage-title-{s.pk}"><a href="{reverse("crm_admin:stage", args=[s.pk])}">'
        f"{s.name}</a></h3>"
        for s in company.stages
    ]
    order = [page.index(title) for title in titles]
    assert order == sorted(order)
    assert "1 open deal<" in page
    assert "1 entry item · 1 exit item" in page  # the archived item is not counted
    assert "0 entry items · 0 exit items" in page
    # The items themselves, and the stage forms, are on the stage's own page.
    assert "Decision maker identified" not in page
    assert 'name="stage-' not in page


# -- Adding and editing ----------------------------------------------------------------


def test_add_stage_appends_it_to_the_board_order_and_audits_it(admin_client, company):
    response = _add(
        admin_client, company.sales, name="Onboarding", probability="95", stall_threshold_days="7"
    )

    assert response.status_code == 200
    assert 'id="stage-list"' in response.content.decode()
    assert _names(company.sales)[-1] == "Onboarding"
    assert _positions(company.sales) == list(range(7))
    stage = Stage.objects.get(name="Onboarding")
    assert (stage.probability, stage.stall_threshold_days) == (95, 7)
    entry = AuditEntry.objects.get(object_type="pipelines.stage", object_id=str(stage.pk))
    assert entry.action == "created"
    assert entry.changes["probability"] == 95
    # The redrawn history (out of band) shows the new entry.
    assert 'id="history"' in response.content.decode()
    assert "Stage “Onboarding” added." in response.content.decode()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "Won back", "probability": "101"}, "Probability must be between 0 and 100."),
        ({"name": "Won back", "probability": "-5"}, "Probability must be between 0 and 100."),
        ({"name": "Won back", "probability": ""}, "Probability must be between 0 and 100."),
        (
            {"name": "Won back", "probability": "50", "stall_threshold_days": "0"},
            "The stall threshold must be at least one day",
        ),
        (
            {"name": "Won back", "probability": "50", "stall_threshold_days": "-3"},
            "The stall threshold must be at least one day",
        ),
        ({"name": "  ", "probability": "50"}, "A stage needs a name."),
        (
            {"name": "proposal", "probability": "50"},
            "This pipeline already has a stage with that name.",
        ),
    ],
)
def test_add_stage_refuses_bad_input_and_saves_nothing(admin_client, company, values, message):
    response = _add(admin_client, company.sales, **values)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert company.sales.stages.count() == 6
    assert not AuditEntry.objects.exists()


def test_same_stage_name_is_fine_in_another_pipeline(admin_client, company):
    response = _add(admin_client, company.private, name="Proposal", probability="60")

    assert response.status_code == 200
    assert "Proposal" in _names(company.private)


def test_edit_stage_shows_on_the_board_at_once_and_marks_the_forecast_dirty(admin_client, company):
    stage = company.stages[3]
    Pipeline.objects.filter(pk=company.sales.pk).update(forecast_dirty_since=None)

    response = _edit(
        admin_client,
        stage,
        name="Offer",
        probability="65",
        stall_threshold_days="10",
        guidance="Send the offer within two days.",
    )

    assert response.status_code == 200
    # The stage page's settings are redrawn, its heading (the new name) out of band.
    answer = response.content.decode()
    assert answer.lstrip().startswith('<section id="stage-settings"')
    assert '<h1>Offer <span class="badge"' in answer
    assert "Stage “Offer” saved." in answer
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.stall_threshold_days, stage.guidance) == (
        "Offer",
        65,
        10,
        "Send the offer within two days.",
    )
    board = admin_client.get(reverse("board-pipeline", args=[company.sales.pk])).content.decode()
    assert f'<h2 id="column-title-{stage.pk}">Offer</h2>' in board
    assert "65 %" in board
    company.sales.refresh_from_db()
    assert company.sales.forecast_dirty_since is not None
    entry = AuditEntry.objects.get(object_id=str(stage.pk), action="edited")
    assert entry.changes == {
        "name": ["Proposal", "Offer"],
        "probability": [60, 65],
        "stall_threshold_days": [None, 10],
        "guidance": ["", "Send the offer within two days."],
    }


def test_clearing_the_stall_threshold_means_never_stalls(admin_client, company):
    stage = company.stages[0]
    Stage.objects.filter(pk=stage.pk).update(stall_threshold_days=14)
    stage.refresh_from_db()

    _edit(admin_client, stage, stall_threshold_days="")

    stage.refresh_from_db()
    assert stage.stall_threshold_days is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"probability": "150"}, "Probability must be between 0 and 100."),
        ({"stall_threshold_days": "0"}, "The stall threshold must be at least one day"),
        ({"name": "QUALIFICATION"}, "This pipeline already has a stage with that name."),
        ({"name": ""}, "A stage needs a name."),
    ],
)
def test_edit_stage_refuses_bad_input_and_keeps_the_stage(admin_client, company, values, message):
    stage = company.stages[0]

    response = _edit(admin_client, stage, **values)

    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert 'aria-invalid="true"' in page
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.stall_threshold_days) == ("Prospecting", 10, None)


def test_edit_without_javascript_redirects_back_to_the_stage_page(admin_client, company):
    stage = company.stages[0]

    response = admin_client.post(
        reverse("crm_admin:stage-edit", args=[stage.pk]),
        _stage_form(f"stage-{stage.pk}", name="Leads", probability="5"),
    )

    assert response.status_code == 302
    assert response.url == reverse("crm_admin:stage", args=[stage.pk])
    assert _names(company.sales)[0] == "Leads"


# -- Reordering ------------------------------------------------------------------------


def test_drag_reorder_saves_the_new_order_and_the_board_follows(admin_client, company):
    stages = company.stages
    new_order = [stages[1], stages[0], *stages[2:]]

    response = admin_client.post(
        reverse("crm_admin:stages-reorder", args=[company.sales.pk]),
        {"order": ",".join(str(s.pk) for s in new_order)},
        **HTMX,
    )

    assert response.status_code == 200
    assert _names(company.sales) == [s.name for s in new_order]
    assert _positions(company.sales) == list(range(6))
    board = admin_client.get(reverse("board-pipeline", args=[company.sales.pk])).content.decode()
    assert board.index(f"column-title-{stages[1].pk}") < board.index(f"column-title-{stages[0].pk}")
    entry = AuditEntry.objects.get(action="stages reordered")
    assert entry.changes["order"][1][:2] == ["Qualification", "Prospecting"]


def test_reordering_changes_which_moves_count_as_forward(admin_client, company):
    """A required entry item on Prospecting: after it is dragged behind Qualification, a
    move from Qualification into it is forward, so the item is enforced."""
    prospecting, qualification = company.stages[0], company.stages[1]
    make_item(prospecting, ENTRY, text="Source recorded")
    deal = make_deal(company.rep1, company.sales, qualification)
    order = [qualification, prospecting, *company.stages[2:]]

    admin_client.post(
        reverse("crm_admin:stages-reorder", args=[company.sales.pk]),
        {"order": ",".join(str(s.pk) for s in order)},
        **HTMX,
    )

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=prospecting, version=deal.version)


@pytest.mark.parametrize("stale", ["missing", "duplicate", "foreign"])
def test_reorder_from_a_stale_page_is_refused_and_redraws_the_current_order(
    admin_client, company, stale
):
    ids = [s.pk for s in company.stages]
    if stale == "missing":
        ids = ids[1:]
    elif stale == "duplicate":
        ids = [ids[1], *ids]
    else:
        ids = [company.private.stages.first().pk, *ids[1:]]

    response = admin_client.post(
        reverse("crm_admin:stages-reorder", args=[company.sales.pk]),
        {"order": ",".join(map(str, ids))},
        **HTMX,
    )

    assert response.status_code == 400
    assert "The stages changed meanwhile" in response.content.decode()
    assert _names(company.sales) == [s.name for s in company.stages]


def test_move_up_and_down_buttons_reorder_by_keyboard(admin_client, company):
    second = company.stages[1]

    admin_client.post(
        reverse("crm_admin:stage-shift", args=[second.pk]), {"direction": "up"}, **HTMX
    )
    assert _names(company.sales)[:2] == ["Qualification", "Prospecting"]

    admin_client.post(
        reverse("crm_admin:stage-shift", args=[second.pk]), {"direction": "down"}, **HTMX
    )
    assert _names(company.sales)[:2] == ["Prospecting", "Qualification"]
    assert _positions(company.sales) == list(range(6))


def test_the_first_stage_cannot_move_up(admin_client, company):
    response = admin_client.post(
        reverse("crm_admin:stage-shift", args=[company.stages[0].pk]), {"direction": "up"}, **HTMX
    )

    assert response.status_code == 400
    assert "cannot move further" in response.content.decode()
    assert _names(company.sales) == [s.name for s in company.stages]


# -- Removing --------------------------------------------------------------------------


def test_removing_an_unused_stage_deletes_it_and_renumbers(admin_client, company):
    stage = company.stages[2]
    make_item(stage, text="Never ticked")

    page = admin_client.get(reverse("crm_admin:stage-remove", args=[stage.pk]))
    assert "No open deal is in this stage." in page.content.decode()
    response = _remove(admin_client, stage, follow=True)

    assert "Stage “Meeting/Demo” deleted." in response.content.decode()
    assert not Stage.objects.filter(pk=stage.pk).exists()
    assert _positions(company.sales) == list(range(5))
    entry = AuditEntry.objects.get(object_id=str(company.sales.pk), action="stage deleted")
    assert entry.changes == {"stage": "Meeting/Demo", "deals_moved": 0}


def test_stage_with_open_deals_asks_where_they_go(admin_client, company):
    stage = company.stages[1]
    make_deal(company.rep1, company.sales, stage)
    make_deal(company.rep2, company.sales, stage)

    page = admin_client.get(reverse("crm_admin:stage-remove", args=[stage.pk])).content.decode()
    assert "2 open deals" in page
    assert "Move its open deals to" in page
    response = _remove(admin_client, stage)

    assert response.status_code == 422
    assert "Qualification holds 2 open deals: choose where they go." in response.content.decode()
    assert Deal.objects.filter(stage=stage, status="open").count() == 2
    assert not Stage.objects.get(pk=stage.pk).is_archived


def test_removing_a_stage_moves_its_deals_through_deal_move_with_the_admin_override(
    admin_client, company
):
    stage, target = company.stages[1], company.stages[2]
    required = make_item(target, ENTRY, text="Demo booked")
    older = make_deal(company.rep1, company.sales, stage, title="Older")
    newer = make_deal(company.rep2, company.sales, stage, title="Newer")  # top of the column
    make_deal(company.rep1, company.sales, target, title="Already there")

    response = _remove(admin_client, stage, target, follow=True)

    page = html.unescape(response.content.decode())
    assert "Stage “Qualification” archived (deals' history refers to it)." in page
    assert "Its 2 open deals moved to “Meeting/Demo”." in page
    for deal in (older, newer):
        fresh = Deal.objects.get(pk=deal.pk)
        assert fresh.stage == target
        assert fresh.version == deal.version + 1
        change = StageChange.objects.get(deal=deal, from_stage=stage)
        assert change.to_stage == target
        assert change.user == company.admin
        assert change.override_reason == "Stage 'Qualification' removed by admin"
        assert list(change.overridden_items.all()) == [required]
        assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.MOVED).exists()
    # The moved deals keep their order, on top of the target column; positions stay dense.
    column = list(
        Deal.objects.filter(stage=target, status="open")
        .order_by("position")
        .values_list("title", "position")
    )
    assert column == [("Newer", 0), ("Older", 1), ("Already there", 2)]
    stage.refresh_from_db()
    assert stage.is_archived
    assert _names(company.sales) == [s.name for s in company.stages if s.pk != stage.pk]
    assert _positions(company.sales) == list(range(6))  # archived ones sit after the active
    assert company.sales.stages.order_by("position").last() == stage
    entry = AuditEntry.objects.get(object_id=str(stage.pk), action="archived")
    assert entry.changes == {
        "is_archived": [False, True],
        "deals_moved": 2,
        "moved_to": "Meeting/Demo",
    }


def test_archived_stage_is_hidden_from_board_and_designer_but_kept(admin_client, company):
    stage = company.stages[1]
    make_deal(company.rep1, company.sales, stage)

    _remove(admin_client, stage, company.stages[0])

    board = admin_client.get(reverse("board-pipeline", args=[company.sales.pk])).content.decode()
    assert f"column-{stage.pk}" not in board
    designer = admin_client.get(reverse("crm_admin:pipeline", args=[company.sales.pk]))
    page = designer.content.decode()
    assert f'id="stage-{stage.pk}"' not in page
    assert "Archived stages" in page
    assert Stage.objects.filter(pk=stage.pk).exists()
    # A new stage may take the archived one's name.
    assert (
        _add(admin_client, company.sales, name="Qualification", probability="25").status_code == 200
    )


def test_backward_target_needs_no_override(admin_client, company):
    stage = company.stages[3]
    deal = make_deal(company.rep1, company.sales, stage)

    _remove(admin_client, stage, company.stages[1])

    change = StageChange.objects.get(deal=deal, from_stage=stage)
    assert change.to_stage == company.stages[1]
    assert change.override_reason == ""  # nothing was missing, nothing overridden


def test_stage_removal_is_all_or_nothing(admin_client, company):
    """A deal that cannot move (here: a bad target chosen from a stale page) leaves every
    deal and the stage as they were."""
    stage = company.stages[1]
    make_deal(company.rep1, company.sales, stage)

    response = _remove(admin_client, stage, company.private.stages.first())

    assert response.status_code == 422
    assert Deal.objects.filter(stage=stage, status="open").count() == 1
    assert not Stage.objects.get(pk=stage.pk).is_archived
    assert not StageChange.objects.filter(override_reason__startswith="Stage").exists()


def test_stage_with_only_closed_deals_is_archived_and_its_deals_reopen_in_the_first_stage(
    admin_client, company
):
    stage = company.stages[2]
    deal = make_deal(company.rep1, company.sales, stage)
    lost = deal_mark_lost(
        user=company.rep1,
        deal=deal,
        version=deal.version,
        reason=LostReason.objects.create(name="Price"),
    )

    _remove(admin_client, stage)

    assert Stage.objects.get(pk=stage.pk).is_archived
    reopened = deal_reopen(user=company.rep1, deal=lost, version=lost.version)
    assert reopened.stage == company.stages[0]


def test_stage_whose_checklist_was_used_is_archived_not_deleted(admin_client, company):
    stage = company.stages[4]
    item = make_item(stage, ENTRY, text="Budget approved")
    deal = make_deal(company.rep1, company.sales, company.stages[0])
    ChecklistCheck.objects.create(deal=deal, item=item, checked_at=timezone.now())

    _remove(admin_client, stage)

    assert Stage.objects.get(pk=stage.pk).is_archived
    assert ChecklistCheck.objects.filter(item=item).exists()


def test_last_stage_of_a_pipeline_with_deals_cannot_be_removed(admin_client, company):
    pipeline = make_pipeline("Small", stages=[("Only", 50), ("Spare", 80)])
    only, spare = list(pipeline.stages.order_by("position"))
    make_deal(company.rep1, pipeline, only)
    _remove(admin_client, spare)

    response = _remove(admin_client, only, follow=False)

    assert response.status_code == 422
    assert "Only is the last stage of Small, which has deals." in response.content.decode()
    assert not Stage.objects.get(pk=only.pk).is_archived


def test_last_stage_of_a_pipeline_without_deals_can_go(admin_client, company):
    pipeline = make_pipeline("Draft", stages=[("Only", 50)])

    _remove(admin_client, pipeline.stages.get())

    assert not pipeline.stages.exists()


def test_an_archived_stage_has_no_designer_actions(admin_client, company):
    stage = company.stages[1]
    Stage.objects.filter(pk=stage.pk).update(is_archived=True, position=99)

    assert admin_client.get(reverse("crm_admin:stage-remove", args=[stage.pk])).status_code == 404
    assert _edit(admin_client, stage, name="X").status_code == 404


def test_history_on_the_designer_covers_pipeline_stages_and_items(admin_client, company):
    stage = company.stages[0]
    _edit(admin_client, stage, probability="15")
    admin_client.post(
        reverse("crm_admin:item-create", args=[stage.pk]),
        {
            f"new-item-{stage.pk}-kind": "exit",
            f"new-item-{stage.pk}-text": "Need confirmed",
            f"new-item-{stage.pk}-is_required": "on",
            f"new-item-{stage.pk}-satisfied_by": "manual",
        },
        **HTMX,
    )
    admin_client.post(
        reverse("crm_admin:pipeline-edit", args=[company.sales.pk]),
        {"name": "Sales", "description": "Main", "visibility": "team", "forward_jumps": "allowed"},
    )

    page = admin_client.get(reverse("crm_admin:pipeline", args=[company.sales.pk])).content.decode()
    history = page[page.index('id="history"') :]

    assert "probability: 10 → 15" in history
    assert "Need confirmed" in history
    assert "description: — → Main" in history
    assert history.count("Admin Test") == 3


def test_removal_reason_names_the_stage(company):
    assert removal_reason(company.stages[0]) == "Stage 'Prospecting' removed by admin"


def test_stage_remove_page_offers_only_other_active_stages(admin_client, company):
    stage = company.stages[1]
    Stage.objects.filter(pk=company.stages[5].pk).update(is_archived=True)
    make_deal(company.rep1, company.sales, stage, expected_close_date=datetime.date(2030, 1, 1))

    page = admin_client.get(reverse("crm_admin:stage-remove", args=[stage.pk])).content.decode()
    select = page[page.index("<select") : page.index("</select>")]

    assert [s.name in select for s in company.stages] == [True, False, True, True, True, False]
