"""Checklist analytics count custom-field items like the others (docs/domain/checklists.md):
the moves they blocked (also through the refused-move dialog), their overrides and the
forward moves that had to satisfy them; the item's label says its rule in words."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from deals.models import Deal, MoveRefusal, StageChange
from deals.services.editing import deal_update
from deals.services.moves import deal_mark_lost, deal_mark_won, deal_move
from pipelinecrm.exceptions import ChecklistIncomplete
from pipelines.models import ChecklistItem, CustomField
from tests.deals.board.helpers import HTMX
from tests.factories import make_custom_field, make_deal, make_item
from tests.forecasting.dashboard_builders import at, reason, redate

MARCH = {"period": "month", "date": "2025-03"}
Condition = ChecklistItem.Condition


@pytest.fixture
def gate(company):
    """Prospecting's exit needs "Budget is at least €10,000" and "Competitor is one of:
    Acme, Globex"; the first stage change of each deal below is in March 2025."""
    prospecting = company.stages[0]
    budget = make_custom_field("Budget", CustomField.Type.MONEY)
    competitor = make_custom_field(
        "Competitor", CustomField.Type.SINGLE_CHOICE, options=("Acme", "Globex", "Initech")
    )
    items = []
    for text, field, condition, operand in [
        ("Budget big enough", budget, Condition.AT_LEAST, "10000"),
        ("Known competitor", competitor, Condition.ONE_OF, ["acme", "globex"]),
    ]:
        items.append(
            make_item(
                prospecting,
                text=text,
                satisfied_by=ChecklistItem.SatisfiedBy.CUSTOM_FIELD,
                custom_field=field,
                condition=condition,
                condition_value=operand,
            )
        )
    return items


def march(deal: Deal, day: int) -> None:
    """Date the deal's refusals and its move out of Prospecting on ``day`` of March 2025."""
    MoveRefusal.objects.filter(deal=deal).update(created_at=at(2025, 3, day))
    StageChange.objects.filter(deal=deal, from_stage__isnull=False).update(
        changed_at=at(2025, 3, day, 15)
    )


def item_rows(response) -> dict[int, dict[str, str]]:
    """The analytics table: item id → figure → cell text (and ``rule``: the rule shown)."""
    rows = {}
    for item_id, row in re.findall(r'<tr id="item-(\d+)">(.*?)</tr>', response.text, re.S):
        cells = re.findall(r'data-(?:figure|testid)="([\w-]+)">(.*?)</(?:td|span)>', row, re.S)
        rows[int(item_id)] = {
            name: " ".join(re.sub("<[^>]+>", " ", text).split()) for name, text in cells
        }
    return rows


def test_custom_field_items_count_refusals_overrides_and_passes_like_the_others(
    company, login, gate
):
    budget_item, competitor_item = gate
    prospecting, qualification = company.stages[:2]
    rep = company.rep1

    # a: the drag is refused (both missing); the dialog fills both in and moves: won.
    a = make_deal(rep, company.sales, prospecting)
    client = login(rep)
    url = reverse("deal-move", args=[a.pk])
    assert client.post(url, {"stage": qualification.pk, "version": 1}, **HTMX).status_code == 409
    done = client.post(
        url,
        {
            "stage": qualification.pk,
            "version": 1,
            "source": "dialog",
            "checklist_retry": "1",
            "custom_field": ["budget", "competitor"],
            "cf_budget": "12,000",
            "cf_competitor": "acme",
        },
        **HTMX,
    )
    assert done.status_code == 200
    march(a, 2)
    deal_mark_won(user=rep, deal=Deal.objects.get(pk=a.pk), version=None)
    redate(a, closed_at=at(2025, 3, 20))

    # b: too small a budget is refused; the manager overrides it: lost.
    b = make_deal(rep, company.sales, prospecting, custom_fields={"competitor": "globex"})
    b = deal_update(user=rep, deal=b, version=b.version, custom_fields={"budget": Decimal(500)})
    with pytest.raises(ChecklistIncomplete):
        deal_move(user=rep, deal=b, stage=qualification, version=None)
    deal_move(
        user=company.manager, deal=b, stage=qualification, version=None, override_reason="LOI"
    )
    march(b, 4)
    deal_mark_lost(user=rep, deal=Deal.objects.get(pk=b.pk), version=None, reason=reason())
    redate(b, closed_at=at(2025, 3, 21))

    # c: both filled in beforehand: moved at once.
    c = make_deal(
        rep,
        company.sales,
        prospecting,
        custom_fields={"budget": Decimal(50000), "competitor": "acme"},
    )
    deal_move(user=rep, deal=c, stage=qualification, version=None)
    march(c, 6)

    response = login(company.manager).get(
        reverse("team-checklists", args=[company.north.pk]), MARCH | {"pipeline": company.sales.pk}
    )

    rows = item_rows(response)
    assert rows[budget_item.pk] == {
        "item-rule": "Budget is at least €10,000",
        "blocked": "2",
        "overrides": "1",
        "override_rate": "33.3 % of 3",
        "median_days": "automatic",
        "done_win_rate": "automatic",
        "overridden_win_rate": "0.0 % of 1",
    }
    assert rows[competitor_item.pk] == {
        "item-rule": "Competitor is one of: Acme, Globex",
        "blocked": "1",
        "overrides": "0",
        "override_rate": "0.0 % of 3",
        "median_days": "automatic",
        "done_win_rate": "automatic",
        "overridden_win_rate": "—",
    }
    assert "Budget big enough" in response.text
    assert "(exit, automatic)" in response.text


def test_the_rules_cost_no_query_per_item(company, login, gate, django_assert_max_num_queries):
    """The page's 12 queries, and one for the options of the choice fields that items name."""
    client = login(company.manager)
    url = reverse("team-checklists", args=[company.north.pk])

    with django_assert_max_num_queries(13):
        response = client.get(url, {"pipeline": company.sales.pk})

    assert len(item_rows(response)) == 2
