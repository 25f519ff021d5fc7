"""API tokens: created with a random key that is shown once and stored only as a hash."""

import hashlib
import secrets

from accounts.models import ApiToken, User

PREFIX_LENGTH = 8


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user`` and its key; the key cannot be recovered later."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), key_hash=api_token_hash(key), prefix=key[:PREFIX_LENGTH]
    )
    return token, key
