"""API tokens: created with a random key that is shown once and stored only as a hash.

A user holds at most ``API_TOKENS_PER_USER`` live (unexpired) tokens, so a leaked password
cannot mint keys without bound; every token dies when the password changes or the user is
deactivated (docs/hardening/accounts-security.md).
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import ApiToken, User
from pipelinecrm.exceptions import InvalidRequest

PREFIX_LENGTH = 8
MAX_EXPIRY_DAYS = 365


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def live_api_tokens(*, user: User):
    return ApiToken.objects.filter(user=user).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


@transaction.atomic
def api_token_create(
    *, user: User, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its key; the key cannot be recovered later.

    Without ``expires_in_days`` the token lives until revoked.
    """
    # Locking the user serialises concurrent creations, so two cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.API_TOKENS_PER_USER
    if live_api_tokens(user=user).count() >= limit:
        raise InvalidRequest(
            ngettext(
                "You already have %(count)s active API token, the most allowed. "
                "Revoke one you no longer use, then create a new one.",
                "You already have %(count)s active API tokens, the most allowed. "
                "Revoke one you no longer use, then create a new one.",
                limit,
            )
            % {"count": limit}
        )
    expires_at = None
    if expires_in_days is not None:
        expires_at = timezone.now() + timedelta(days=expires_in_days)
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        key_hash=api_token_hash(key),
        prefix=key[:PREFIX_LENGTH],
        expires_at=expires_at,
    )
    return token, key


def api_tokens_revoke_all(*, user: User) -> int:
    """Revoke (delete) every token of ``user``; the number revoked."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted
