"""Admin pages: a stage's entry and exit checklist items in the
designer (docs/domain/checklists.md, docs/domain/admin-pages.md).

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
from pipelines.models import ChecklistItem
from tests.factories import make_deal, make_item

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


def test_designer_form_marks_the_rule_choices_for_the_script(admin_client, company):
    make_item(company.stages[0], EXIT, text="Demo", satisfied_by="activity", activity_kind="call")

    page = admin_client.get(reverse("crm_admin:pipeline", args=[company.sales.pk])).content.decode()

    assert "data-satisfied-by" in page
    assert 'data-rule="field"' in page
    assert 'data-rule="activity"' in page
