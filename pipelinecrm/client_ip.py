"""The client's address, as the login lockout, the API's throttles and the password-reset
limits must all see it (docs/hardening/accounts-security.md).

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each proxy appends the address it received
the request from to ``X-Forwarded-For``; only the last ``TRUSTED_PROXY_COUNT`` entries
were written by proxies we run, so the client is the entry that many places from the
right. Whatever a client puts further left is its own invention and is never read. This
is exactly DRF's ``NUM_PROXIES`` rule (``rest_framework.throttling.BaseThrottle.get_ident``),
so django-axes and the API's throttles count the same address.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """``REMOTE_ADDR`` with no trusted proxy (or no header), else the address
    ``TRUSTED_PROXY_COUNT`` hops from the right of ``X-Forwarded-For``."""
    remote_addr = request.META.get("REMOTE_ADDR")
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR")
    if trusted == 0 or forwarded_for is None:
        return remote_addr
    hops = forwarded_for.split(",")
    return hops[-min(trusted, len(hops))].strip()
