"""In-app notifications, about a deal or not."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from deals.models.deals import Deal

HIDDEN_DEAL_NOTICE = gettext_noop("About a deal you can no longer see.")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=30)
    deal = models.ForeignKey(
        Deal,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("deal"),
    )
    # Stored as written, in the recipient's language at the time (docs/i18n.md).
    text = models.CharField(_("text"), max_length=300)
    is_read = models.BooleanField(_("is read"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell: unread count per recipient.
            models.Index(
                fields=["recipient"],
                condition=models.Q(is_read=False),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        """The text, unless it is about a deal the recipient may no longer see: then a
        sentence without its title (``deal_visible`` is annotated by
        ``deals.selectors.notifications.notifications_for``; docs/hardening/gate-activities.md)."""
        if self.deal_id is None or self.deal_visible:
            return self.text
        return gettext(HIDDEN_DEAL_NOTICE)
