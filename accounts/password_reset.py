""" "Forgot my password", rate limited per client address and per email address typed.

Both counters live in the cache (Redis) and count requests whether or not an account
uses the address, so the answer -- the "check your email" page, or the refusal once a
limit is reached -- says nothing about which addresses have accounts. Mail still goes only
to existing accounts (Django's PasswordResetForm). See docs/hardening/accounts-security.md.
"""

import hashlib
import logging
from contextlib import nullcontext

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from pipelinecrm.client_ip import client_ip

logger = logging.getLogger(__name__)


def _count_request(key: str, window_seconds: int) -> int:
    """This request's number within the current window of ``key``."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:
        # The window ended between add and incr: this request opens the next one.
        cache.add(key, 1, timeout=window_seconds)
        return 1


def password_reset_allowed(*, address: str | None, email: str) -> bool:
    """Count this request against both limits; False once either is exceeded."""
    window = settings.PASSWORD_RESET_WINDOW_MINUTES * 60
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    try:
        by_address = _count_request(f"password-reset:address:{address}", window)
        by_account = _count_request(f"password-reset:account:{account}", window)
    except RedisError:
        # As the API's token throttle does: without Redis the page keeps working.
        logger.warning("Password reset limit not applied: the cache is unavailable.")
        return True
    return (
        by_address <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
        and by_account <= settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT
    )


class LocalizedPasswordResetForm(PasswordResetForm):
    """Django's form, with each email written in its recipient's language (docs/i18n.md),
    not in the language of whoever typed the address."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context.get("user")
        with user.own_language() if user is not None else nullcontext():
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    form_class = LocalizedPasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if password_reset_allowed(address=client_ip(self.request), email=email):
            return super().form_valid(form)
        minutes = settings.PASSWORD_RESET_WINDOW_MINUTES
        form.add_error(
            None,
            ngettext(
                "Too many reset requests from here or for this address. Check your inbox "
                "(and spam folder) for a link already sent, or try again in %(minutes)s "
                "minute.",
                "Too many reset requests from here or for this address. Check your inbox "
                "(and spam folder) for a link already sent, or try again in %(minutes)s "
                "minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        return self.render_to_response(self.get_context_data(form=form), status=429)
