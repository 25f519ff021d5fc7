from django.conf import settings
from django.http import HttpRequest


def company(request: HttpRequest) -> dict[str, object]:
    """Company-wide values every page shows (currency label, live-refresh interval)."""
    return {
        "CURRENCY": settings.CURRENCY,
        "LIVE_REFRESH_SECONDS": settings.LIVE_REFRESH_SECONDS,
    }
