"""Dashboards and their board links open the pipeline people work in, not the oldest
(docs/domain/stalls-and-forecast.md): the one holding most of the team's (on a team page)
or the user's own (the board link) open deals; ties by name."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal
from pipelines.models import Pipeline
from tests.factories import make_deal, make_pipeline

TEAM_PAGES = ["team-dashboard", "team-checklists", "team-probabilities"]


@pytest.fixture
def alpha(company):
    """A newer pipeline that sorts first by name."""
    return make_pipeline("Alpha")


def chosen(response) -> Pipeline:
    assert response.status_code == 200
    return response.context["pipeline"]


@pytest.mark.parametrize("url_name", TEAM_PAGES)
def test_team_pages_open_the_pipeline_with_most_of_the_teams_open_deals(
    company, login, alpha, url_name
):
    client = login(company.manager)
    url = reverse(url_name, args=[company.north.pk])
    # No open deal at all: the first by name.
    assert chosen(client.get(url)) == alpha

    make_deal(company.rep1, company.sales)
    make_deal(company.rep2, company.sales)
    make_deal(company.rep1, alpha)
    # South's deals do not count for North.
    for _ in range(3):
        make_deal(company.rep3, alpha)
    assert chosen(client.get(url)) == company.sales

    # Closed deals do not count.
    Deal.objects.filter(pipeline=company.sales).update(
        status=Deal.Status.WON, closed_at=timezone.now(), position=None
    )
    assert chosen(client.get(url)) == alpha

    # ?pipeline= still chooses.
    assert chosen(client.get(f"{url}?pipeline={company.sales.pk}")) == company.sales


def test_a_tie_goes_to_the_first_pipeline_by_name(company, login, alpha):
    make_deal(company.rep1, company.sales)
    make_deal(company.rep1, alpha)

    response = login(company.manager).get(reverse("team-dashboard", args=[company.north.pk]))

    assert chosen(response) == alpha


def test_the_per_person_board_links_open_that_pipeline(company, login, alpha):
    make_deal(company.rep1, company.sales)
    make_deal(company.rep2, company.sales)

    html = login(company.manager).get(reverse("team-dashboard", args=[company.north.pk]))
    links = re.findall(r'href="(/pipelines/\d+/board/)\?owner=\d+"', html.content.decode())

    assert links
    assert set(links) == {reverse("board-pipeline", args=[company.sales.pk])}


def test_the_board_link_opens_the_pipeline_the_user_works_in(company, login, alpha):
    """Rep home's "Open the board" (and the top bar's Board) before any board was visited."""
    make_deal(company.rep1, alpha)
    make_deal(company.rep1, alpha)
    make_deal(company.rep2, company.sales)
    make_deal(company.rep2, company.sales)
    make_deal(company.rep2, company.sales)

    home = login(company.rep1).get(reverse("rep-home")).content.decode()
    assert f'href="{reverse("board")}"' in home
    rep1_board = login(company.rep1).get(reverse("board"))
    assert rep1_board.url == reverse("board-pipeline", args=[alpha.pk])

    # A manager's team: rep1's 2 deals in Alpha, rep2's 3 in Sales.
    manager_board = login(company.manager).get(reverse("board"))
    assert manager_board.url == reverse("board-pipeline", args=[company.sales.pk])
