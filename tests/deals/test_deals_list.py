"""The Deals page (docs/domain/board.md): open, won and lost deals, filtered, sorted, paged, and
bulk reassign / mark lost through the services, one transaction per deal, with a summary of
what succeeded and what was refused and why."""

import datetime
import html as html_lib
import re
from decimal import Decimal

from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeamMembership
from deals.models import Deal, DealEvent, Organization
from deals.services.moves import deal_mark_lost, deal_mark_won
from tests.factories import make_deal


def _titles(response) -> list[str]:
    """Deal titles in table order."""
    html = response.content.decode()
    tbody = re.search(r'<table class="data deals-table">.*?<tbody>(.*?)</tbody>', html, re.S)[1]
    return [
        html_lib.unescape(title)
        for title in re.findall(r'<td><a href="/deals/\d+/">([^<]+)</a>', tbody)
    ]


def _list(client, **params):
    return client.get(reverse("deals-list"), params)


def test_the_list_holds_open_won_and_lost_deals_the_user_may_see(company, login, price):
    make_deal(company.rep1, company.sales, title="Open one")
    deal_mark_won(
        user=company.rep1,
        deal=make_deal(company.rep1, company.sales, title="Won one"),
        version=None,
    )
    deal_mark_lost(
        user=company.rep1,
        deal=make_deal(company.rep1, company.sales, title="Lost one"),
        version=None,
        reason=price,
    )
    make_deal(company.rep2, company.sales, title="Teammate's")
    make_deal(company.rep2, company.private, title="Teammate's private")
    make_deal(company.rep3, company.sales, title="South's")

    titles = set(_titles(_list(login(company.rep1))))

    assert titles == {"Open one", "Won one", "Lost one", "Teammate's"}


def test_filters_status_pipeline_close_range_and_the_boards_filters(company, login, price):
    today = timezone.localdate()
    acme = Organization.objects.create(name="Acme")
    make_deal(
        company.rep1,
        company.sales,
        title="Closing soon",
        expected_close_date=today + datetime.timedelta(days=5),
        organization=acme,
    )
    make_deal(
        company.rep1,
        company.sales,
        title="Closing later",
        expected_close_date=today + datetime.timedelta(days=90),
    )
    stalled = make_deal(company.rep2, company.sales, title="Stalled teammate deal")
    Deal.objects.filter(pk=stalled.pk).update(is_stalled=True)
    make_deal(company.rep1, company.private, title="Renewal")
    lost = make_deal(company.rep1, company.sales, title="Gone")
    deal_mark_lost(user=company.rep1, deal=lost, version=None, reason=price)
    client = login(company.rep1)

    assert _titles(_list(client, status="lost")) == ["Gone"]
    assert _titles(_list(client, pipeline=company.private.pk)) == ["Renewal"]
    in_range = _list(
        client,
        close_from=(today + datetime.timedelta(days=1)).isoformat(),
        close_to=(today + datetime.timedelta(days=30)).isoformat(),
    )
    assert _titles(in_range) == ["Closing soon"]
    assert _titles(_list(client, q="acme")) == ["Closing soon"]
    assert _titles(_list(client, stalled="1")) == ["Stalled teammate deal"]
    assert "Stalled teammate deal" not in _titles(_list(client, owner="me"))
    assert _titles(_list(client, owner=company.rep2.pk)) == ["Stalled teammate deal"]
    # Junk in the URL is ignored, never an error.
    assert _list(client, pipeline="x²", status="maybe", close_from="soon").status_code == 200


def test_sorting_by_a_column_either_way_keeps_empty_values_last(company, login):
    for title, value in (("Small", "10"), ("Big", "9000"), ("Unknown", None), ("Mid", "500")):
        make_deal(company.rep1, company.sales, title=title, value=Decimal(value) if value else None)
    client = login(company.rep1)

    assert _titles(_list(client, sort="value")) == ["Small", "Mid", "Big", "Unknown"]
    assert _titles(_list(client, sort="-value")) == ["Big", "Mid", "Small", "Unknown"]
    assert _titles(_list(client, sort="title")) == ["Big", "Mid", "Small", "Unknown"]
    page = _list(client, sort="value").content.decode()
    assert re.search(r'aria-sort="ascending">\s*<a href="\?sort=-value">Value ▲', page)


def test_the_list_is_paged_and_costs_the_same_queries_for_any_number_of_deals(company, login):
    client = login(company.manager)
    for index in range(3):
        make_deal(company.rep1, company.sales, title=f"Deal {index:03}")
    _list(client)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _list(client, sort="title").status_code == 200
        return len(queries)

    few = count()
    for index in range(3, 75):
        make_deal(
            company.rep1 if index % 2 else company.rep2, company.sales, title=f"Deal {index:03}"
        )
    assert count() == few

    first, second = _list(client, sort="title"), _list(client, sort="title", page=2)
    assert len(_titles(first)) == 50
    assert _titles(second)[0] == "Deal 050"
    assert len(_titles(second)) == 25
    assert "Page 1 of 2 · 75 in all" in re.sub(r"\s+", " ", first.content.decode())


def _bulk(client, deals, **data):
    """As the list's form posts: each selected deal with the version the list showed."""
    versions = {f"version-{d.pk}": d.version for d in deals}
    return client.post(
        reverse("deals-bulk"),
        {"deal": [d.pk for d in deals], "query": "status=open&sort=title", **versions, **data},
    )


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_manager_bulk_reassigns_and_refusals_are_listed_with_their_reason(company, login):
    # manager2 manages South and is also a plain member of North: North's deals on team
    # pipelines are visible to them, but not theirs to give away.
    TeamMembership.objects.create(
        team=company.north, user=company.manager2, kind=TeamMembership.Kind.MEMBER
    )
    south = make_deal(company.rep3, company.sales, title="South deal")
    north = make_deal(company.rep1, company.sales, title="North deal")
    hidden = make_deal(company.rep1, company.private, title="Private")
    client = login(company.manager2)

    response = _bulk(client, [south, north, hidden], action="reassign", owner=company.manager2.pk)

    assert response.status_code == 302
    assert response.url == reverse("deals-list") + "?status=open&sort=title"
    messages = _messages(response)
    assert "Reassigned 1 deal to Manager2 Test." in messages
    assert "1 deal refused; nothing changed on them:" in messages
    assert any(m.startswith("“North deal”: You cannot give this deal") for m in messages)
    assert "1 selected deal no longer exists or is not yours to see." in messages
    assert Deal.objects.get(pk=south.pk).owner == company.manager2
    assert Deal.objects.get(pk=north.pk).owner == company.rep1
    assert DealEvent.objects.filter(kind=DealEvent.Kind.REASSIGNED).count() == 1


def test_a_manager_cannot_bulk_give_deals_outside_their_teams(company, login):
    deal = make_deal(company.rep1, company.sales)
    response = _bulk(login(company.manager), [deal], action="reassign", owner=company.rep3.pk)
    assert any("Select a valid choice" in m for m in _messages(response))
    assert Deal.objects.get(pk=deal.pk).owner == company.rep1


def test_reps_are_not_offered_bulk_reassign_and_cannot_post_it(company, login):
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    page = _list(client).content.decode()
    assert "Reassign to…" not in page
    assert "Mark as lost" in page
    response = _bulk(client, [deal], action="reassign", owner=company.rep2.pk)
    assert any("Select a valid choice" in m for m in _messages(response))
    assert Deal.objects.get(pk=deal.pk).owner == company.rep1


def test_bulk_mark_lost_closes_each_deal_and_reports_the_ones_refused(company, login, price):
    first = make_deal(company.rep1, company.sales, title="First")
    second = make_deal(company.rep1, company.sales, title="Second")
    already = make_deal(company.rep1, company.sales, title="Already lost")
    # As the list shows it now: lost, at its new version.
    already = deal_mark_lost(user=company.rep1, deal=already, version=None, reason=price)
    teammate = make_deal(company.rep2, company.sales, title="Teammate's")
    client = login(company.rep1)

    response = _bulk(
        client, [first, second, already, teammate], action="lost", reason=price.pk, note="Budget"
    )

    messages = _messages(response)
    assert "Marked 2 deals as lost." in messages
    assert "2 deals refused; nothing changed on them:" in messages
    assert "“Already lost”: This deal is already lost." in messages
    assert "“Teammate's”: You can see this deal but not change it." in messages
    for deal in (first, second):
        deal.refresh_from_db()
        assert deal.status == Deal.Status.LOST
        assert deal.lost_note == "Budget"
    assert Deal.objects.get(pk=teammate.pk).status == Deal.Status.OPEN


def test_bulk_lost_needs_a_reason_and_a_selection(company, login, price):
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    no_reason = _messages(_bulk(client, [deal], action="lost"))
    nothing = _messages(_bulk(client, [], action="lost", reason=price.pk))

    assert "Choose why the deals were lost." in no_reason
    assert "Select at least one deal." in nothing
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN
