"""POST /api/v1/deals/{id}/move/ anchored by a neighbour, as the board moves a card."""

from deals.models import Deal
from tests.factories import make_deal, reload


def _column(stage) -> list[int]:
    rows = Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).order_by("position", "id")
    return list(rows.values_list("pk", flat=True))


def _move(client, deal, **body):
    return client.post(f"/api/v1/deals/{deal.pk}/move/", {"version": deal.version, **body})


def test_the_api_moves_a_deal_above_or_below_a_neighbour(rep1, company):
    qualification = company.stages[1]
    top = make_deal(company.rep1, company.sales, qualification)
    first = make_deal(company.rep1, company.sales)
    second = make_deal(company.rep1, company.sales)

    below = _move(rep1, first, stage=qualification.pk, after=top.pk)
    above = _move(rep1, second, stage=qualification.pk, before=first.pk)

    assert (below.status_code, above.status_code) == (200, 200)
    assert _column(qualification) == [top.pk, second.pk, first.pk]
    assert above.json()["position"] == 1


def test_an_invisible_neighbour_is_a_400_field_error_like_a_missing_one(api, company):
    due = company.private.stages.get(name="Due")
    hidden = make_deal(company.rep2, company.private, due)
    deal = make_deal(company.rep1, company.private, company.private.stages.get(name="Renewed"))
    client = api(company.rep1)

    invisible = _move(client, deal, stage=due.pk, before=hidden.pk)
    missing = _move(client, deal, stage=due.pk, before=987654)

    assert invisible.status_code == missing.status_code == 400
    assert invisible.json() == missing.json()
    assert list(invisible.json()["errors"]) == ["before"]
    assert reload(deal).stage.name == "Renewed"


def test_position_and_a_neighbour_together_are_refused_with_field_errors(rep1, company):
    qualification = company.stages[1]
    neighbour = make_deal(company.rep1, company.sales, qualification)
    deal = make_deal(company.rep1, company.sales)

    response = _move(rep1, deal, stage=qualification.pk, position=0, before=neighbour.pk)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "before": ["Give at most one of position, before and after."]
    }
    assert reload(deal).stage == company.stages[0]


def test_the_schema_documents_before_and_after(rep1):
    schema = rep1.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    move = schema["components"]["schemas"]["MoveRequest"]["properties"]
    assert {"position", "before", "after"} <= set(move)
    assert "neighbour" in move["before"]["description"]
