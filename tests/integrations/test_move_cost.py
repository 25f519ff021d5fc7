"""The outbox is the timeline: a move with three subscriptions costs the same statements
as without any (docs/domain/webhooks.md)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import EventType
from tests import factories


def _move_statements(client, deal, stage) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/api/v1/deals/{deal.pk}/move/",
            {"stage": stage.pk, "version": deal.version},
            format="json",
        )
    assert response.status_code == 200, response.content
    return [query["sql"] for query in queries.captured_queries]


def test_a_move_with_three_subscriptions_issues_the_same_statements(company, api, subscribe):
    client = api(company.rep1)
    first, second = company.stages[0], company.stages[1]
    warm = factories.make_deal(company.rep1, company.sales, first)
    _move_statements(client, warm, second)  # the token's first use writes its last-used time
    without = factories.make_deal(company.rep1, company.sales, first)
    with_subscriptions = factories.make_deal(company.rep1, company.sales, first)

    before = _move_statements(client, without, second)
    for name in ("ERP", "Billing", "Chat"):
        subscribe(f"https://{name.lower()}.example.com/", events=[EventType.DEAL_MOVED], name=name)
    after = _move_statements(client, with_subscriptions, second)

    assert len(after) == len(before)
    assert not [sql for sql in after if "integrations_" in sql]
