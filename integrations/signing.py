"""The webhook signature (docs/domain/webhooks.md): ``t=<unix seconds>,v1=<hex>`` where
``v1 = HMAC-SHA256(secret, f"{t}.{body}")``."""

import hashlib
import hmac
import time

HEADER = "X-PipelineCRM-Signature"
# A receiver refuses signatures older than this (replays).
TOLERANCE_SECONDS = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The value of ``X-PipelineCRM-Signature`` for ``body`` sent at ``timestamp``."""
    return f"t={int(timestamp)},v1={_digest(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True if ``header`` signs ``body`` with ``secret`` and is at most ``tolerance``
    seconds old: what a receiver does, in constant time."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(_digest(secret, timestamp, body), parts.get("v1", ""))
