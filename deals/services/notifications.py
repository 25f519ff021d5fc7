"""Notifying users: in-app always, by email when configured.

Notifications are deals' data, so writing them lives here; the jobs of forecasting (stalls,
reminders) call these functions (docs/architecture-layers.md).

In-app notifications are written in the job's transaction, so they exist exactly when the
change they announce was committed. Emails leave after the commit, one per recipient and
run, and a mail failure is logged without failing the job: the in-app notification is the
record, and retrying the job would only notify twice.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import User
from deals.models import Deal, DealEvent, Notification

logger = logging.getLogger(__name__)

# Rows per INSERT: a first run over a large, long-neglected pipeline stays a few statements.
BATCH_SIZE = 1000
# Lines of one email; the rest are on the notifications page.
EMAIL_LINES = 20


# Translators: completes "PipelineCRM: …", the subject line of a notification email.
REASSIGNED_SUBJECT = gettext_lazy("a deal was reassigned to you")


class NotificationKind:
    STALLED = "stalled"
    ACTIVITY_DUE = "activity_due"
    ACTIVITY_OVERDUE = "activity_overdue"
    REASSIGNED = "reassigned"


@dataclass(frozen=True)
class Notice:
    recipient_id: int
    kind: str
    text: str
    deal_id: int | None = None


def notices_record(*, notices: Sequence[Notice]) -> None:
    """Write ``notices`` as in-app notifications, in the caller's transaction."""
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=notice.recipient_id,
                kind=notice.kind,
                deal_id=notice.deal_id,
                text=notice.text[:300],
            )
            for notice in notices
        ],
        batch_size=BATCH_SIZE,
    )


def notices_email(*, notices: Sequence[Notice], subject: str | Promise) -> None:
    """Once the transaction commits, email ``notices`` if EMAIL_URL is set: one message per
    recipient, in the recipient's language. ``subject`` is a ``gettext_lazy`` string (or a
    msgid marked with ``gettext_noop``), translated for each recipient; the notices' texts
    were written in the recipient's language when they were created."""
    if notices and settings.EMAIL_NOTIFICATIONS:
        transaction.on_commit(partial(_email, list(notices), subject))


def notices_send(*, notices: Sequence[Notice], email_subject: str | Promise) -> None:
    """In-app now, by email after the commit."""
    notices_record(notices=notices)
    notices_email(notices=notices, subject=email_subject)


def deal_notify_reassigned(*, deal_id: int, new_owner_id: int) -> bool:
    """Tell ``new_owner_id`` the deal is theirs, once per reassignment; True if told.

    Nothing is sent if the deal is gone or has changed hands again since (that change
    sends its own notice), nor if a retry finds the notice already written. The deal's row
    lock makes two deliveries of one message take turns.
    """
    with transaction.atomic():
        deal = Deal.objects.select_for_update().filter(pk=deal_id).first()
        if deal is None or deal.owner_id != new_owner_id:
            return False
        event = (
            DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.REASSIGNED)
            .select_related("user")
            .order_by("-created_at", "-id")
            .first()
        )
        since = event.created_at if event else deal.updated_at
        already_told = Notification.objects.filter(
            recipient_id=new_owner_id,
            deal=deal,
            kind=NotificationKind.REASSIGNED,
            created_at__gte=since,
        ).exists()
        if already_told:
            return False
        recipient = User.objects.get(pk=new_owner_id)
        with recipient.own_language():
            if event and event.user:
                text = _("“%(title)s” was reassigned to you by %(name)s.") % {
                    "title": deal.title,
                    "name": event.user.display_name,
                }
            else:
                text = _("“%(title)s” was reassigned to you.") % {"title": deal.title}
        notices_send(
            notices=[
                Notice(
                    recipient_id=new_owner_id,
                    kind=NotificationKind.REASSIGNED,
                    deal_id=deal.pk,
                    text=text,
                )
            ],
            email_subject=REASSIGNED_SUBJECT,
        )
    return True


def _subject(subject: str | Promise) -> str:
    """The subject line in the active language: a lazy string translates itself, a plain
    one is looked up as a msgid."""
    text = str(subject) if isinstance(subject, Promise) else _(subject)
    # Translators: the subject line of a notification email; %(subject)s says what happened.
    return _("PipelineCRM: %(subject)s") % {"subject": text}


def _email(notices: list[Notice], subject: str | Promise) -> None:
    by_recipient: dict[int, list[Notice]] = defaultdict(list)
    for notice in notices:
        by_recipient[notice.recipient_id].append(notice)
    recipients = User.objects.filter(pk__in=by_recipient, is_active=True).exclude(email="")
    messages = []
    for user in recipients:
        with user.own_language():
            messages.append(
                EmailMessage(
                    subject=_subject(subject),
                    body=_email_body(user, by_recipient[user.pk]),
                    to=[user.email],
                )
            )
    if not messages:
        return
    try:
        mailers.default.send_messages(messages)
    except Exception:
        logger.exception("Could not email %d notification(s); they are shown in-app.", len(notices))


def _email_body(user: User, notices: list[Notice]) -> str:
    """The body in the active language (the recipient's: see ``_email``)."""
    lines = [f"- {notice.text}" for notice in notices[:EMAIL_LINES]]
    more = len(notices) - EMAIL_LINES
    if more > 0:
        lines.append(
            ngettext("… and %(count)s more.", "… and %(count)s more.", more) % {"count": more}
        )
    listing = "\n".join(lines)
    greeting = _("Hello %(name)s,") % {"name": user.display_name}
    where = _("You will find these under Notifications (the bell) in PipelineCRM.")
    return f"{greeting}\n\n{listing}\n\n{where}\n"
