"""Bulk actions of the deals list: each deal through its service, in its own transaction.

Each deal carries the version the list showed, as a single edit does: a deal changed since is
refused as a conflict (docs/hardening/gate-activities.md). One refused deal (not the user's
to change, already closed, changed meanwhile) does not stop the others; the outcome says
which succeeded and why the rest were refused.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from deals.models import Deal, LostReason
from deals.services.editing import deal_reassign
from deals.services.moves import deal_mark_lost
from pipelinecrm.exceptions import DomainError, InvalidRequest

NO_VERSION = gettext_noop(
    "The list did not say which version of this deal you saw; reload it and try again."
)


@dataclass
class BulkOutcome:
    done: list[Deal] = field(default_factory=list)
    refused: list[tuple[Deal, str]] = field(default_factory=list)


def _each(
    deals: Iterable[Deal], versions: Mapping[int, int], action: Callable[[Deal, int], object]
) -> BulkOutcome:
    outcome = BulkOutcome()
    for deal in deals:
        try:
            if deal.pk not in versions:
                raise InvalidRequest(_(NO_VERSION))
            with transaction.atomic():
                action(deal, versions[deal.pk])
        except ValidationError as error:
            outcome.refused.append((deal, " ".join(error.messages)))
        except DomainError as error:
            outcome.refused.append((deal, error.message))
        else:
            outcome.done.append(deal)
    return outcome


def deals_bulk_reassign(
    *, user: User, deals: Iterable[Deal], versions: Mapping[int, int], new_owner: User
) -> BulkOutcome:
    """Give each deal to ``new_owner`` under the rules of ``can_reassign_to``; ``versions``
    maps each deal's id to the version the user saw."""
    return _each(
        deals,
        versions,
        lambda deal, version: deal_reassign(
            user=user, deal=deal, new_owner=new_owner, version=version
        ),
    )


def deals_bulk_mark_lost(
    *,
    user: User,
    deals: Iterable[Deal],
    versions: Mapping[int, int],
    reason: LostReason,
    note: str = "",
) -> BulkOutcome:
    return _each(
        deals,
        versions,
        lambda deal, version: deal_mark_lost(
            user=user, deal=deal, version=version, reason=reason, note=note
        ),
    )
