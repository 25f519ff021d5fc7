"""Admin pages: a stage's entry and exit checklist items on the stage's
page, edited inline (docs/domain/checklists.md, docs/domain/admin-pages.md).

What the admin sets here is what the board enforces on the next move: the tests check the
designer's answer and then deal_move's behaviour.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from deals.models import ChecklistCheck
from deals.services.moves import deal_move
from pipelinecrm.exceptions import ChecklistIncomplete
from pipelines.models import ChecklistItem, Stage
from tests.factories import make_deal, make_item
from tests.helpers import assert_no_inline_script

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ENTRY, EXIT = ChecklistItem.Kind.ENTRY, ChecklistItem.Kind.EXIT


def _item_data(prefix: str, **values) -> dict:
    data = {"text": "", "satisfied_by": "manual", "field_name": "", "activity_kind": ""} | values
    if data.pop("is_required", True):
        data["is_required"] = "on"
    return {f"{prefix}-{key}": value for key, value in data.items()}


def _add(client, stage, **values):
    return client.post(
        reverse("crm_admin:item-create", args=[stage.pk]),
        _item_data(f"new-item-{stage.pk}", **values),
        **HTMX,
    )


def _edit(client, item, **values):
    current = {
        "text": item.text,
        "is_required": item.is_required,
        "satisfied_by": item.satisfied_by,
        "field_name": item.field_name,
        "activity_kind": item.activity_kind,
    }
    return client.post(
        reverse("crm_admin:item-edit", args=[item.pk]),
        _item_data(f"item-{item.pk}", **(current | values)),
        **HTMX,
    )


def _texts(stage, kind) -> list[str]:
    return list(
        stage.checklist_items.filter(kind=kind, is_archived=False)
        .order_by("position")
        .values_list("text", flat=True)
    )


def test_added_required_entry_item_is_enforced_on_the_next_forward_move(admin_client, company):
    qualification, meeting = company.stages[1], company.stages[2]
    deal = make_deal(company.rep1, company.sales, qualification)

    response = _add(admin_client, meeting, kind="entry", text="Decision maker named")

    assert response.status_code == 200
    assert "Decision maker named" in response.content.decode()
    item = ChecklistItem.objects.get(text="Decision maker named")
    assert (item.stage, item.kind, item.position, item.is_required) == (meeting, ENTRY, 0, True)
    with pytest.raises(ChecklistIncomplete) as refused:
        deal_move(user=company.rep1, deal=deal, stage=meeting, version=deal.version)
    assert refused.value.missing == [item]
    entry = AuditEntry.objects.get(object_type="pipelines.checklistitem", object_id=str(item.pk))
    assert entry.action == "created"
    assert entry.changes["stage"] == "Meeting/Demo"


def test_optional_items_never_block(admin_client, company):
    deal = make_deal(company.rep1, company.sales, company.stages[0])

    _add(admin_client, company.stages[0], kind="exit", text="Say thanks", is_required=False)

    deal_move(user=company.rep1, deal=deal, stage=company.stages[1], version=deal.version)


def test_field_item_names_the_field_and_is_checked_automatically(admin_client, company):
    stage = company.stages[0]
    deal = make_deal(company.rep1, company.sales, stage, value=None)

    response = _add(
        admin_client,
        stage,
        kind="exit",
        text="Value known",
        satisfied_by="field",
        field_name="value",
        activity_kind="meeting",  # does not apply to a field item: dropped, not refused
    )

    assert response.status_code == 200
    item = ChecklistItem.objects.get(text="Value known")
    assert (item.satisfied_by, item.field_name, item.activity_kind) == ("field", "value", "")
    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=deal, stage=company.stages[1], version=deal.version)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"text": "  "}, "Say what has to be done."),
        ({"text": "Value known", "satisfied_by": "field"}, "Choose the deal field"),
        ({"text": "Demo done", "satisfied_by": "activity"}, "Choose the kind of activity"),
        ({"text": "Demo done", "satisfied_by": "telepathy"}, "Select a valid choice."),
        ({"text": "Demo done", "kind": "middle"}, "Select a valid choice."),
    ],
)
def test_bad_items_are_refused_with_a_message_and_nothing_saved(
    admin_client, company, values, message
):
    response = _add(admin_client, company.stages[0], **({"kind": "exit"} | values))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ChecklistItem.objects.exists()


def test_edit_item_text_rule_and_required_flag(admin_client, company):
    stage = company.stages[2]
    item = make_item(stage, EXIT, text="Demo")
    deal = make_deal(company.rep1, company.sales, stage)

    response = _edit(
        admin_client,
        item,
        text="Demo meeting held",
        satisfied_by="activity",
        activity_kind="meeting",
        field_name="value",
    )

    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.text, item.satisfied_by, item.activity_kind, item.field_name) == (
        "Demo meeting held",
        "activity",
        "meeting",
        "",
    )
    assert AuditEntry.objects.get(object_id=str(item.pk), action="edited").changes == {
        "text": ["Demo", "Demo meeting held"],
        "satisfied_by": ["manual", "activity"],
        "activity_kind": ["", "meeting"],
    }

    _edit(admin_client, item, is_required=False)

    item.refresh_from_db()
    assert not item.is_required
    deal_move(user=company.rep1, deal=deal, stage=company.stages[3], version=deal.version)


def test_edit_to_an_inconsistent_rule_is_refused(admin_client, company):
    item = make_item(company.stages[0], EXIT, text="Org known")

    response = _edit(admin_client, item, satisfied_by="field", field_name="")

    assert response.status_code == 422
    assert "Choose the deal field that satisfies this item." in response.content.decode()
    item.refresh_from_db()
    assert item.satisfied_by == "manual"


def test_items_reorder_up_and_down_within_their_list(admin_client, company):
    stage = company.stages[0]
    first = make_item(stage, EXIT, text="First")
    make_item(stage, EXIT, text="Second")
    third = make_item(stage, EXIT, text="Third")
    make_item(stage, ENTRY, text="Entry only")

    admin_client.post(reverse("crm_admin:item-shift", args=[third.pk]), {"direction": "up"}, **HTMX)
    admin_client.post(
        reverse("crm_admin:item-shift", args=[first.pk]), {"direction": "down"}, **HTMX
    )

    assert _texts(stage, EXIT) == ["Third", "First", "Second"]
    assert _texts(stage, ENTRY) == ["Entry only"]
    positions = stage.checklist_items.filter(kind=EXIT).order_by("position")
    assert list(positions.values_list("position", flat=True)) == [0, 1, 2]
    refused = admin_client.post(
        reverse("crm_admin:item-shift", args=[third.pk]), {"direction": "up"}, **HTMX
    )
    assert refused.status_code == 400


def test_removing_an_unused_item_deletes_it(admin_client, company):
    stage = company.stages[0]
    item = make_item(stage, EXIT, text="Never used")
    make_item(stage, EXIT, text="Stays")

    response = admin_client.post(reverse("crm_admin:item-remove", args=[item.pk]), **HTMX)

    assert "“Never used” deleted." in response.content.decode()
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()
    assert list(stage.checklist_items.values_list("text", "position")) == [("Stays", 0)]
    entry = AuditEntry.objects.get(object_id=str(stage.pk), action="checklist item deleted")
    assert entry.changes == {"item": "Never used", "kind": "exit"}


@pytest.mark.parametrize("use", ["check", "refusal", "override"])
def test_removing_an_item_deals_used_archives_it(admin_client, company, use):
    stage, after = company.stages[0], company.stages[1]
    item = make_item(stage, EXIT, text="Call done")
    deal = make_deal(company.rep1, company.sales, stage)
    if use == "check":
        ChecklistCheck.objects.create(deal=deal, item=item, checked_at=timezone.now())
    elif use == "refusal":
        with pytest.raises(ChecklistIncomplete):
            deal_move(user=company.rep1, deal=deal, stage=after, version=deal.version)
    else:
        deal_move(
            user=company.admin, deal=deal, stage=after, version=deal.version, override_reason="ok"
        )

    response = admin_client.post(reverse("crm_admin:item-remove", args=[item.pk]), **HTMX)

    assert "archived: deals used it" in response.content.decode()
    item.refresh_from_db()
    assert item.is_archived
    assert f'id="item-{item.pk}"' not in response.content.decode()  # gone from the designer
    # No longer enforced:
    other = make_deal(company.rep2, company.sales, stage)
    deal_move(user=company.rep2, deal=other, stage=after, version=other.version)


def test_an_archived_item_cannot_be_edited_or_moved(admin_client, company):
    item = make_item(company.stages[0], EXIT, text="Old", is_archived=True)

    assert _edit(admin_client, item, text="New").status_code == 404
    assert (
        admin_client.post(
            reverse("crm_admin:item-shift", args=[item.pk]), {"direction": "up"}
        ).status_code
        == 404
    )


def test_stage_page_forms_mark_the_rule_choices_for_the_script(admin_client, company):
    make_item(company.stages[0], EXIT, text="Demo", satisfied_by="activity", activity_kind="call")

    page = admin_client.get(
        reverse("crm_admin:stage", args=[company.stages[0].pk])
    ).content.decode()

    assert "data-satisfied-by" in page
    assert 'data-rule="field"' in page
    assert 'data-rule="activity"' in page


# -- The stage page and inline editing ----------------------------------------------------


def test_stage_page_shows_its_settings_and_items_as_rows_with_an_add_row_per_list(
    admin_client, company, django_assert_max_num_queries
):
    stage = company.stages[2]
    entry = make_item(stage, ENTRY, text="Decision maker identified")
    make_item(stage, EXIT, text="Demo given", satisfied_by="activity", activity_kind="meeting")
    make_item(stage, EXIT, text="Value known", satisfied_by="field", field_name="value")
    make_item(stage, EXIT, text="Hidden", is_archived=True)
    make_item(company.stages[3], EXIT, text="Another stage's")

    # session, user, stage with its counts, its items, its neighbours, history
    with django_assert_max_num_queries(6):
        response = admin_client.get(reverse("crm_admin:stage", args=[stage.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<h1>Meeting/Demo <span class="badge"' in page
    assert 'value="Meeting/Demo"' in page  # the settings form
    # Items are rows in display mode: text, required, how satisfied; no form until "Edit".
    assert page.index("Decision maker identified") < page.index("Demo given")
    assert page.index("Demo given") < page.index("Value known")
    assert "when done: Meeting" in page
    assert "when filled in: Value" in page
    assert f'id="item-{entry.pk}"' in page
    assert f'hx-get="{reverse("crm_admin:item-edit", args=[entry.pk])}"' in page
    assert f'name="item-{entry.pk}-text"' not in page
    assert "Hidden" not in page
    assert "Another stage's" not in page
    # One add row at the end of each list, the list in a hidden field.
    assert page.count(f'name="new-item-{stage.pk}-text"') == 2
    assert f'type="hidden" name="new-item-{stage.pk}-kind" value="entry"' in page
    assert f'type="hidden" name="new-item-{stage.pk}-kind" value="exit"' in page
    # Links to the neighbouring stages and back to the pipeline.
    assert reverse("crm_admin:stage", args=[company.stages[1].pk]) in page
    assert reverse("crm_admin:stage", args=[company.stages[3].pk]) in page
    assert reverse("crm_admin:pipeline", args=[company.sales.pk]) in page


def test_inline_edit_round_trip_row_form_then_saved_row_in_display_mode(admin_client, company):
    stage = company.stages[1]
    item = make_item(stage, EXIT, text="Budget known")

    form = admin_client.get(reverse("crm_admin:item-edit", args=[item.pk]), **HTMX)

    assert form.status_code == 200
    row = form.content.decode()
    assert row.lstrip().startswith(f'<li class="item-row item-row-editing" id="item-{item.pk}"')
    assert f'name="item-{item.pk}-text"' in row
    assert 'value="Budget known"' in row
    assert f'hx-post="{reverse("crm_admin:item-edit", args=[item.pk])}"' in row
    assert f'hx-target="#item-{item.pk}"' in row

    saved = _edit(admin_client, item, text="Budget confirmed", is_required=False)

    assert saved.status_code == 200
    page = saved.content.decode()
    row = page[: page.index("</li>")]
    assert row.lstrip().startswith(f'<li class="item-row" id="item-{item.pk}"')
    assert "Budget confirmed" in row
    assert "optional" in row
    assert f'name="item-{item.pk}-text"' not in page
    # The status line and the history come along out of band.
    assert 'id="admin-status"' in page
    assert "Checklist item “Budget confirmed” saved." in page
    assert 'id="history"' in page
    assert "Budget known → Budget confirmed" in page[page.index('id="history"') :]
    item.refresh_from_db()
    assert (item.text, item.is_required) == ("Budget confirmed", False)
    entry = AuditEntry.objects.get(object_id=str(item.pk), action="edited")
    assert entry.actor == company.admin
    assert entry.changes == {
        "text": ["Budget known", "Budget confirmed"],
        "is_required": [True, False],
    }


def test_inline_edit_refused_keeps_the_row_a_form_with_the_error(admin_client, company):
    item = make_item(company.stages[0], EXIT, text="Org known")

    response = _edit(admin_client, item, text="")

    assert response.status_code == 422
    page = response.content.decode()
    assert page.lstrip().startswith(f'<li class="item-row item-row-editing" id="item-{item.pk}"')
    assert "Say what has to be done." in page
    assert 'aria-invalid="true"' in page
    assert not AuditEntry.objects.exists()


def test_cancel_gives_the_row_back_in_display_mode(admin_client, company):
    item = make_item(company.stages[0], EXIT, text="Org known")

    response = admin_client.get(reverse("crm_admin:item", args=[item.pk]), **HTMX)

    page = response.content.decode()
    assert page.lstrip().startswith(f'<li class="item-row" id="item-{item.pk}"')
    assert f'name="item-{item.pk}-text"' not in page


def test_inline_editing_works_without_javascript(admin_client, company):
    stage = company.stages[0]
    item = make_item(stage, EXIT, text="Org known")
    other = make_item(stage, EXIT, text="Person known")
    stage_page = reverse("crm_admin:stage", args=[stage.pk])

    # "Edit" is a plain link: the stage page with that one row as a form.
    page = admin_client.get(reverse("crm_admin:item-edit", args=[item.pk])).content.decode()
    assert f'name="item-{item.pk}-text"' in page
    assert f'name="item-{other.pk}-text"' not in page
    assert '<h1>Prospecting <span class="badge"' in page
    # Save: back to the stage page; a refusal shows the page with the form and its error.
    saved = admin_client.post(
        reverse("crm_admin:item-edit", args=[item.pk]),
        _item_data(f"item-{item.pk}", text="Organization known"),
    )
    assert (saved.status_code, saved.url) == (302, stage_page)
    refused = admin_client.post(
        reverse("crm_admin:item-edit", args=[item.pk]), _item_data(f"item-{item.pk}", text="")
    )
    assert refused.status_code == 422
    assert "Say what has to be done." in refused.content.decode()
    # Cancel is a link to the stage page with every row shown as text.
    cancel = admin_client.get(reverse("crm_admin:item", args=[item.pk])).content.decode()
    assert "Organization known" in cancel
    assert f'name="item-{item.pk}-text"' not in cancel
    # Adding, moving and removing redirect back to the stage page as well.
    added = admin_client.post(
        reverse("crm_admin:item-create", args=[stage.pk]),
        _item_data(f"new-item-{stage.pk}", kind="entry", text="Source recorded"),
    )
    assert (added.status_code, added.url) == (302, stage_page)
    moved = admin_client.post(reverse("crm_admin:item-shift", args=[other.pk]), {"direction": "up"})
    assert (moved.status_code, moved.url) == (302, stage_page)
    assert _texts(stage, EXIT) == ["Person known", "Organization known"]
    assert _texts(stage, ENTRY) == ["Source recorded"]


def test_a_refused_add_row_shows_its_error_in_its_own_list(admin_client, company):
    stage = company.stages[0]

    response = _add(admin_client, stage, kind="exit", text="Value known", satisfied_by="field")

    assert response.status_code == 422
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="checklists"')
    exit_list = page[page.index('id="checklist-exit"') :]
    assert "Choose the deal field" in exit_list
    assert 'value="Value known"' in exit_list
    assert "Choose the deal field" not in page[: page.index('id="checklist-exit"')]


def test_an_archived_stage_has_no_page_and_an_archived_items_row_is_gone(admin_client, company):
    stage = company.stages[1]
    item = make_item(company.stages[0], EXIT, text="Old", is_archived=True)
    Stage.objects.filter(pk=stage.pk).update(is_archived=True, position=99)

    assert admin_client.get(reverse("crm_admin:stage", args=[stage.pk])).status_code == 404
    assert admin_client.get(reverse("crm_admin:item-edit", args=[item.pk])).status_code == 404
    assert admin_client.get(reverse("crm_admin:item", args=[item.pk]), **HTMX).status_code == 404


@pytest.mark.parametrize("name", ["stage", "item", "item-edit"])
def test_the_stage_pages_open_without_javascript_and_run_no_inline_script(
    admin_client, company, name
):
    item = make_item(company.stages[1], EXIT, text="Budget known")
    target = company.stages[1].pk if name == "stage" else item.pk

    response = admin_client.get(reverse(f"crm_admin:{name}", args=[target]))

    assert response.status_code == 200
    assert_no_inline_script(response)
    assert "Budget known" in response.content.decode()
