"""The visibility matrix of docs/domain/roles-and-visibility.md:
every role × own / teammate / other team deals ×
team and owner pipelines, for seeing and for editing."""

import pytest
from django.http import Http404

from deals.access import (
    can_edit,
    can_override,
    can_reassign_to,
    deal_get_visible_or_404,
    deals_editable_by,
    deals_on_pipeline_visible_to,
    deals_visible_to,
    editable_owner_ids,
)
from tests.factories import make_deal, make_user

# (viewer, owner of the deal, pipeline) -> (sees, edits)
MATRIX = [
    # a rep sees own; teammates' (managers' included) only on team pipelines, read-only
    ("rep1", "rep1", "sales", True, True),
    ("rep1", "rep2", "sales", True, False),
    ("rep1", "manager", "sales", True, False),
    ("rep1", "rep3", "sales", False, False),
    ("rep1", "manager2", "sales", False, False),
    ("rep1", "admin", "sales", False, False),
    ("rep1", "rep1", "private", True, True),
    ("rep1", "rep2", "private", False, False),
    ("rep1", "manager", "private", False, False),
    ("rep1", "rep3", "private", False, False),
    # a manager sees and edits own and their teams' deals on every pipeline
    ("manager", "manager", "sales", True, True),
    ("manager", "rep1", "sales", True, True),
    ("manager", "rep2", "private", True, True),
    ("manager", "rep3", "sales", False, False),
    ("manager", "rep3", "private", False, False),
    ("manager", "manager2", "sales", False, False),
    ("manager2", "rep3", "private", True, True),
    ("manager2", "rep1", "sales", False, False),
    # an admin sees and edits everything
    ("admin", "rep1", "sales", True, True),
    ("admin", "rep3", "private", True, True),
    ("admin", "manager2", "private", True, True),
]


@pytest.mark.parametrize(("viewer", "owner", "pipeline", "sees", "edits"), MATRIX)
def test_visibility_matrix(company, viewer, owner, pipeline, sees, edits):
    deal = make_deal(getattr(company, owner), getattr(company, pipeline))
    user = getattr(company, viewer)

    assert deals_visible_to(user).filter(pk=deal.pk).exists() is sees
    assert deals_editable_by(user).filter(pk=deal.pk).exists() is edits
    assert can_edit(user, deal) is edits
    # The board decides for many cards at once from the same rule.
    owners = editable_owner_ids(user)
    assert (owners is None or deal.owner_id in owners) is edits
    if sees:
        assert deal_get_visible_or_404(user, deal.pk) == deal
    else:
        with pytest.raises(Http404):
            deal_get_visible_or_404(user, deal.pk)


@pytest.mark.parametrize("in_two_teams", [False, True])
def test_the_boards_form_of_the_rule_selects_the_same_deals_on_each_pipeline(company, in_two_teams):
    """deals_on_pipeline_visible_to is _visible_q rewritten for one pipeline (the board's
    fast form); both must agree for every role, team layout and pipeline visibility."""
    if in_two_teams:
        company.south.memberships.create(user=company.rep1)
    people = ("rep1", "rep2", "rep3", "manager", "manager2", "admin")
    for owner in people:
        for pipeline in (company.sales, company.private):
            make_deal(getattr(company, owner), pipeline)
    for viewer in people:
        user = getattr(company, viewer)
        for pipeline in (company.sales, company.private):
            general = deals_visible_to(user).filter(pipeline=pipeline)
            board = deals_on_pipeline_visible_to(user, pipeline.pk)
            assert set(board.values_list("pk", flat=True)) == set(
                general.values_list("pk", flat=True)
            ), (viewer, pipeline.name)
    company.rep1.is_active = False
    assert not deals_on_pipeline_visible_to(company.rep1, company.sales.pk).exists()


def test_editable_deals_are_always_visible(company):
    for owner in (company.rep1, company.rep2, company.rep3, company.manager):
        for pipeline in (company.sales, company.private):
            make_deal(owner, pipeline)
    for user in (company.rep1, company.manager, company.manager2, company.admin):
        editable = set(deals_editable_by(user).values_list("pk", flat=True))
        visible = set(deals_visible_to(user).values_list("pk", flat=True))
        assert editable <= visible


def test_rep_in_two_teams_sees_both_teams_on_team_pipelines(company):
    company.south.memberships.create(user=company.rep1)
    deal = make_deal(company.rep3, company.sales)
    assert deals_visible_to(company.rep1).filter(pk=deal.pk).exists()
    assert not can_edit(company.rep1, deal)


def test_inactive_user_sees_nothing(company):
    deal = make_deal(company.rep1, company.sales)
    company.rep1.is_active = False
    company.rep1.save()
    assert not deals_visible_to(company.rep1).filter(pk=deal.pk).exists()
    assert not can_edit(company.rep1, deal)


def test_user_without_team_sees_only_own_deals(company):
    loner = make_user("loner")
    own = make_deal(loner, company.sales)
    make_deal(company.rep1, company.sales)
    assert list(deals_visible_to(loner)) == [own]


def test_visibility_is_one_query(company, django_assert_num_queries):
    for _ in range(3):
        make_deal(company.rep2, company.sales)
    with django_assert_num_queries(1):
        list(deals_visible_to(company.rep1))


@pytest.mark.parametrize(
    ("user", "owner", "allowed"),
    [
        ("rep1", "rep1", False),
        ("manager", "rep1", True),
        ("manager", "rep3", False),
        ("manager2", "rep1", False),
        ("admin", "rep3", True),
    ],
)
def test_only_the_owners_managers_and_admins_override(company, user, owner, allowed):
    deal = make_deal(getattr(company, owner), company.sales)
    assert can_override(getattr(company, user), deal) is allowed


@pytest.mark.parametrize(
    ("user", "owner", "new_owner", "allowed"),
    [
        ("rep1", "rep1", "rep2", False),  # reps cannot reassign
        ("manager", "rep1", "rep2", True),  # to a member of a team they manage
        ("manager", "rep1", "rep3", False),  # not to another team
        ("admin", "rep1", "rep3", True),  # admins: any active user
    ],
)
def test_reassignment_rules(company, user, owner, new_owner, allowed):
    deal = make_deal(getattr(company, owner), company.sales)
    result = can_reassign_to(getattr(company, user), deal, getattr(company, new_owner))
    assert result is allowed


def test_no_one_reassigns_to_an_inactive_user(company):
    deal = make_deal(company.rep1, company.sales)
    company.rep2.is_active = False
    company.rep2.save()
    assert not can_reassign_to(company.admin, deal, company.rep2)
