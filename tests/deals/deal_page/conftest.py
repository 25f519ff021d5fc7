"""The deal page (docs/domain/board.md): a full page and a dialog over the board.

What a user relies on: everything about the deal on one page, editable by those who may
(read-only for teammates, 404 for anyone else), the stage path moving through deal_move
with the board's checklist dialog on refusal, won / lost / reopen, both checklists, and a
timeline in which every kind of event reads as a sentence. A fixed number of queries.
"""

import pytest

from deals.models import LostReason


@pytest.fixture
def reasons(db):
    return LostReason.objects.create(name="Price"), LostReason.objects.create(name="Timing")
