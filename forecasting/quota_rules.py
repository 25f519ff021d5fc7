"""Quotas: monthly targets for users and teams, read side.

``quota_for`` is the one definition of "the quota of a user or team over some months" that
the dashboards and the admin grid share; ``quota_grid`` reads the admin's grid, which
forecasting/services/quotas.py writes.

A team's quota for a month is the team's own quota if it has one for that month, else the
sum of the quotas of everyone in the team for that month, managers included (the dashboards
count a selling manager's deals in the team's figures).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from accounts.models import Team, User
from accounts.selectors import active_users
from forecasting.calendar import months_between
from forecasting.models import Quota


def _team_members_by_month(
    team_ids: list[int], start: datetime.date, end: datetime.date
) -> dict[tuple[int, datetime.date], Decimal]:
    rows = (
        Quota.objects.filter(
            user__memberships__team_id__in=team_ids,
            month__gte=start,
            month__lte=end,
        )
        .order_by()
        .values("user__memberships__team_id", "month")
        .annotate(total=Sum("amount"))
    )
    return {(row["user__memberships__team_id"], row["month"]): row["total"] for row in rows}


def quota_for(
    owner: User | Team, start_month: datetime.date, end_month: datetime.date
) -> Decimal | None:
    """The target of a user or a team over ``start_month``..``end_month`` (inclusive; any
    day names its month): the sum of the months, so a quarter is its three months.

    None when no month of the range has a quota: dashboards show "no quota", not 0.
    Two queries at most.
    """
    months = months_between(start_month, end_month)
    if not months:
        return None
    start, end = months[0], months[-1]
    is_team = isinstance(owner, Team)
    own = Quota.objects.filter(
        month__gte=start, month__lte=end, **({"team": owner} if is_team else {"user": owner})
    )
    row = QuotaRow(TEAM if is_team else USER, owner, dict(own.values_list("month", "amount")))
    if is_team:
        members = _team_members_by_month([owner.pk], start, end)
        row.member_sums = {month: total for (_, month), total in members.items()}
    return row.total(months)


# -- The admin grid ------------------------------------------------------------------------

USER, TEAM = "user", "team"
QuotaKey = tuple[str, int, datetime.date]  # (USER | TEAM, id, month)


def quota_key(quota: Quota) -> QuotaKey:
    if quota.user_id:
        return (USER, quota.user_id, quota.month)
    return (TEAM, quota.team_id, quota.month)


@dataclass
class QuotaRow:
    kind: str
    owner: User | Team
    amounts: dict[datetime.date, Decimal] = field(default_factory=dict)
    # Teams only: the sum of the members' quotas per month, the fallback of quota_for.
    member_sums: dict[datetime.date, Decimal] = field(default_factory=dict)

    def effective(self, month: datetime.date) -> Decimal | None:
        return self.amounts.get(month, self.member_sums.get(month))

    def total(self, months: list[datetime.date]) -> Decimal | None:
        """As quota_for computes it, from the rows already loaded."""
        present = [v for v in (self.effective(m) for m in months) if v is not None]
        return sum(present, Decimal(0)) if present else None


def quota_grid(*, year: int) -> tuple[list[datetime.date], list[QuotaRow]]:
    """The months of ``year`` and a row per active user and per team. Four queries."""
    months = months_between(datetime.date(year, 1, 1), datetime.date(year, 12, 1))
    users = active_users()
    rows = {(USER, user.pk): QuotaRow(USER, user) for user in users}
    rows |= {(TEAM, team.pk): QuotaRow(TEAM, team) for team in Team.objects.order_by("name")}
    quotas = Quota.objects.filter(month__gte=months[0], month__lte=months[-1])
    for user_id, team_id, month, amount in quotas.values_list(
        "user_id", "team_id", "month", "amount"
    ):
        key = (USER, user_id) if user_id else (TEAM, team_id)
        if key in rows:
            rows[key].amounts[month] = amount
    team_ids = [owner_id for kind, owner_id in rows if kind == TEAM]
    for (team_id, month), total in _team_members_by_month(team_ids, months[0], months[-1]).items():
        rows[(TEAM, team_id)].member_sums[month] = total
    return months, list(rows.values())
