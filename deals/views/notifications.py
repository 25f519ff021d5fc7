"""Notifications (docs/domain/deals.md): the bell's unread count, the list, marking read.

A notification belongs to its recipient alone: every query here is filtered by the
signed-in user, so another user's notification answers 404.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from deals.models import Notification
from deals.selectors.notifications import notifications_for

PAGE_SIZE = 25
TEMPLATE = "deals/notifications.html"
# The bell listens for this event to refresh its count at once.
CHANGED_EVENT = "notifications-changed"


def _unread(request: HttpRequest):
    return Notification.objects.filter(recipient=request.user, is_read=False)


@never_cache
@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The unread count, polled by every page: one query besides the session's.

    A poll from a page whose session has ended answers 204, which leaves the bell as it was
    instead of swapping the login page into it.
    """
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    return render(request, f"{TEMPLATE}#bell", {"unread": _unread(request).count()})


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = notifications_for(request.user).select_related("deal")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread": _unread(request).count(), "nav_section": "notifications"}
    return render(request, TEMPLATE, context)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(
        notifications_for(request.user).select_related("deal"), pk=notification_id
    )
    if not notification.is_read:
        Notification.objects.filter(pk=notification.pk).update(is_read=True)
        notification.is_read = True
    if request.htmx:
        response = render(request, f"{TEMPLATE}#item", {"notification": notification})
        return trigger_client_event(response, CHANGED_EVENT, {})
    return redirect(_list_url(request.POST.get("page", "")))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    _unread(request).update(is_read=True)
    return redirect(_list_url(request.POST.get("page", "")))


def _list_url(page: str) -> str:
    url = reverse("notifications")
    return f"{url}?page={page}" if page.isdigit() and page != "1" else url
