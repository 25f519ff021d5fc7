"""The deal page costs the same queries however long the history."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import Deal
from deals.services.activities import activity_log
from deals.services.checklist import checklist_item_check
from deals.services.editing import deal_update
from deals.services.moves import deal_move
from tests.deals.deal_page.helpers import ENTRY, EXIT, _page
from tests.factories import make_deal, make_item

# -- cost ----------------------------------------------------------------------------------------


def _grow(company, deal, items: int, events: int) -> None:
    for stage in (company.stages[1], company.stages[0]):
        deal_move(user=company.rep1, deal=Deal.objects.get(pk=deal.pk), stage=stage, version=None)
    for index in range(events):
        activity_log(user=company.rep1, deal=deal, kind="call", subject=f"Call {index}")
        deal_update(
            user=company.rep1, deal=Deal.objects.get(pk=deal.pk), version=None, title=f"T{index}"
        )
    for stage in company.stages[:2]:
        for index in range(items):
            item = make_item(stage, EXIT if index % 2 else ENTRY, text=f"{stage.name} {index}")
            if index % 3 == 0:
                checklist_item_check(user=company.rep1, deal=deal, item=item)


# user (the session comes from the cache), the deal with its relations, the pipeline's
# stages, the checklist (one annotated query), the deal's activities, the pipeline's
# custom fields with their options (one query, also when there are none), the timeline
# (events, stage changes, their overridden items, activities), lost reasons; a manager
# adds can_edit and can_override (team lookups) and, like an admin, the reassignment
# choices (rendered by the owner select through a cursor: two statements).
@pytest.mark.parametrize(("who", "expected"), [("rep1", 10), ("manager", 14), ("admin", 12)])
def test_the_page_costs_the_same_number_of_queries_however_long_the_history(
    company, login, who, expected
):
    small = make_deal(company.rep1, company.sales, title="Small")
    big = make_deal(company.rep1, company.sales, title="Big")
    _grow(company, big, items=6, events=25)
    client = login(getattr(company, who))
    _page(client, small)  # warm up the session

    with CaptureQueriesContext(connection) as few:
        assert _page(client, small).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert _page(client, big).status_code == 200

    assert len(few) == expected, [q["sql"] for q in few.captured_queries]
    assert len(many) == expected, [q["sql"] for q in many.captured_queries]
