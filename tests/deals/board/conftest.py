"""The kanban board pages (docs/domain/board.md) through Django's test client on PostgreSQL.

What a user relies on: the columns and their figures, who sees and may move which card,
filters in the URL, paging per column, a fixed number of queries, and every answer of the
move / won / lost / new-deal / live-refresh endpoints, including the refusals.

Responses are read with ``BoardHTML``, which collects what the board shows (column heads,
cards per column in order, load-more links, out-of-band swaps) from the real markup.
"""

import pytest

from deals.models import LostReason


@pytest.fixture
def lost_reason(db):
    return LostReason.objects.create(name="Price too high")
