"""Bulk actions of the deals list: each deal through its service, in its own transaction.

One refused deal (not the user's to change, already closed, changed meanwhile) does not stop
the others; the outcome says which succeeded and why the rest were refused.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from deals.models import Deal, LostReason
from deals.services.editing import deal_reassign
from deals.services.moves import deal_mark_lost
from pipelinecrm.exceptions import DomainError


@dataclass
class BulkOutcome:
    done: list[Deal] = field(default_factory=list)
    refused: list[tuple[Deal, str]] = field(default_factory=list)


def _each(deals: Iterable[Deal], action: Callable[[Deal], object]) -> BulkOutcome:
    outcome = BulkOutcome()
    for deal in deals:
        try:
            with transaction.atomic():
                action(deal)
        except ValidationError as error:
            outcome.refused.append((deal, " ".join(error.messages)))
        except DomainError as error:
            outcome.refused.append((deal, error.message))
        else:
            outcome.done.append(deal)
    return outcome


def deals_bulk_reassign(*, user: User, deals: Iterable[Deal], new_owner: User) -> BulkOutcome:
    """Give each deal to ``new_owner`` under the rules of ``can_reassign_to``."""
    return _each(
        deals,
        lambda deal: deal_reassign(user=user, deal=deal, new_owner=new_owner, version=None),
    )


def deals_bulk_mark_lost(
    *, user: User, deals: Iterable[Deal], reason: LostReason, note: str = ""
) -> BulkOutcome:
    return _each(
        deals,
        lambda deal: deal_mark_lost(user=user, deal=deal, version=None, reason=reason, note=note),
    )
