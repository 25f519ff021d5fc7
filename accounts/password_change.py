"""Revoke a user's API tokens whenever their password changes.

Django calls ``password_changed`` of every entry of ``AUTH_PASSWORD_VALIDATORS`` from
``User.save()`` after ``set_password`` -- on every path: the password change page, the
reset link, Django admin's set-password form, ``manage.py changepassword``. Hooking in
here means no path can forget it. Rehashing a password at sign-in does not call it
(``AbstractBaseUser.check_password`` clears the pending password first), so a hasher
upgrade revokes nothing. See docs/hardening/accounts-security.md.
"""

from django.utils.translation import gettext as _

from accounts.api.tokens import api_tokens_revoke_all


class RevokeApiTokensOnPasswordChange:
    """Validates nothing; listed in AUTH_PASSWORD_VALIDATORS for its ``password_changed``."""

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            api_tokens_revoke_all(user=user)

    def get_help_text(self) -> str:
        # Shown under every new-password field, so nobody is surprised by dead scripts.
        return _("Setting a new password revokes all your API tokens.")
