"""Reads for the dashboards (docs/domain/stalls-and-forecast.md):
the team dashboard, the rep home, lost
reasons, checklist analytics and data-driven stage probabilities.

Every figure is an SQL aggregate and every function costs a fixed number of queries,
whatever the number of deals. Months, quarters, "today" and day counts are those of the
company time zone (TIME_ZONE, docs/domain/deals.md): periods are compared as aware datetimes at its
midnights, so a deal closed at 23:30 on the last evening of a month counts in that month.

Whose deals a dashboard counts is a ``Scope`` of owners, made only once the viewer was
allowed the team (see ``Scope`` for why that is exactly what they may see).
"""
