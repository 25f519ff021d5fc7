"""Saving the admin's quota grid; what a quota means is read in
forecasting/quota_rules.py.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.services import audit_record, ensure_admin
from forecasting.models import Quota
from forecasting.quota_rules import TEAM, USER, QuotaKey, quota_key


def _label(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


@transaction.atomic
def quotas_save(*, actor: User, amounts: dict[QuotaKey, Decimal | None]) -> int:
    """Set each cell's quota; None removes it. Only changed cells are written, and each
    user or team whose quotas changed gets one audit entry. Returns the number of changes.
    """
    ensure_admin(actor)
    negative = [key for key, amount in amounts.items() if amount is not None and amount < 0]
    if negative:
        raise ValidationError(_("A quota cannot be negative."))
    months = sorted({month for _kind, _owner, month in amounts})
    if not months:
        return 0
    existing: dict[QuotaKey, Quota] = {}
    for quota in Quota.objects.select_for_update().filter(month__in=months).order_by("pk"):
        existing[quota_key(quota)] = quota
    create, update, delete = [], [], []
    changes: dict[tuple[str, int], dict[str, list]] = defaultdict(dict)
    for key, amount in amounts.items():
        kind, owner_id, month = key
        current = existing.get(key)
        old = current.amount if current else None
        if old == amount:
            continue
        changes[(kind, owner_id)][_label(month)] = [old, amount]
        if amount is None:
            delete.append(current.pk)
        elif current is None:
            owner = {"user_id": owner_id} if kind == USER else {"team_id": owner_id}
            create.append(Quota(month=month, amount=amount, **owner))
        else:
            current.amount = amount
            update.append(current)
    try:
        with transaction.atomic():
            Quota.objects.filter(pk__in=delete).delete()
            Quota.objects.bulk_update(update, ["amount"])
            Quota.objects.bulk_create(create)
    except IntegrityError:
        raise ValidationError(
            _("Someone else saved quotas at the same moment; reload the page and try again.")
        ) from None
    owners = {
        USER: User.objects.in_bulk([i for k, i in changes if k == USER]),
        TEAM: Team.objects.in_bulk([i for k, i in changes if k == TEAM]),
    }
    for (kind, owner_id), owner_changes in changes.items():
        audit_record(
            actor=actor, target=owners[kind][owner_id], action="quotas set", changes=owner_changes
        )
    return sum(len(owner_changes) for owner_changes in changes.values())
