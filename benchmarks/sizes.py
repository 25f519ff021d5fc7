"""The board's database at 10,000, 100,000 and 1,000,000 deals, grown in place.

``seed_demo`` makes the first size (North and South, as in ``make run``); ``grow_to`` adds
the deals beyond it in SQL (benchmarks/bulk.py), owned by regional teams that it creates
as the demo does at that size (``Workforce``: a manager and three reps per 10,000 deals, at
least one team). North and South get no new deal, so North's board keeps the same cards,
in the same places: the new open deals go below them in every column.
"""

from django.contrib.auth.hashers import make_password

from benchmarks import bulk

# The teams seed_demo makes at any size; every other team is regional.
HOME_TEAMS = ("North", "South")


def regional_owner_ids(deal_count: int) -> list[int]:
    """The regional teams of a demo company of ``deal_count`` deals (at least one), created
    where missing; the ids of their people."""
    from accounts.models import Team, TeamMembership, User
    from deals.demo.catalogue import DEALS_PER_TEAM, Workforce

    workforce = Workforce.for_deals(max(deal_count, 2 * DEALS_PER_TEAM))
    regional = {n: team for n, team in workforce.teams.items() if n not in HOME_TEAMS}
    usernames = {name for manager, reps in regional.values() for name in (manager, *reps)}
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    password = make_password(None)
    User.objects.bulk_create(
        User(
            username=spec.username,
            role=spec.role,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.username}@pipelinecrm.example",
            password=password,
        )
        for spec in workforce.users
        if spec.username in usernames - existing
    )
    users = User.objects.in_bulk(list(usernames), field_name="username")
    existing_teams = set(Team.objects.filter(name__in=regional).values_list("name", flat=True))
    new_teams = [name for name in regional if name not in existing_teams]
    teams = {team.name: team for team in Team.objects.bulk_create(Team(name=n) for n in new_teams)}
    TeamMembership.objects.bulk_create(
        TeamMembership(team=teams[name], user=users[username], kind=kind)
        for name in new_teams
        for username, kind in [
            (regional[name][0], TeamMembership.Kind.MANAGER),
            *((rep, TeamMembership.Kind.MEMBER) for rep in regional[name][1]),
        ]
    )
    return sorted(user.pk for user in users.values())


def grow_to(deal_count: int) -> int:
    """Add regional teams' deals, with their history, until there are ``deal_count``;
    the number added. Run ``bulk.vacuum_analyze()`` afterwards."""
    from deals.models import Deal

    missing = deal_count - Deal.objects.count()
    if missing <= 0:
        return 0
    after = bulk.insert_deals(missing, owner_ids=regional_owner_ids(deal_count))
    bulk.insert_history(after=after)
    return missing
