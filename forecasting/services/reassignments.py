"""A reassigned deal notifies its new owner (docs/domain/stalls-and-forecast.md)."""

from django.db import transaction

from deals.models import Deal, DealEvent, Notification
from forecasting.services.notify import Notice, NotificationKind, notices_send


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
        by = f" by {event.user.display_name}" if event and event.user else ""
        notices_send(
            notices=[
                Notice(
                    recipient_id=new_owner_id,
                    kind=NotificationKind.REASSIGNED,
                    deal_id=deal.pk,
                    text=f"“{deal.title}” was reassigned to you{by}.",
                )
            ],
            email_subject="a deal was reassigned to you",
        )
    return True
