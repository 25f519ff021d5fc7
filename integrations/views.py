"""Admin pages for webhooks (docs/domain/webhooks.md, "Admin page and API";
docs/domain/admin-pages.md): the list of subscriptions, the form that creates or edits
one, a subscription's page (secret, pause, test event, delivery log) and a delivery's page
(the payload and headers sent).

Every action is a plain form post answered with a redirect and a message, so everything
works without JavaScript; refusals come back as the message (or the form's errors, 422).
"""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import admin_required
from accounts.forms import apply_service_errors
from accounts.selectors import audit_history
from integrations import services
from integrations.delivery import USER_AGENT
from integrations.forms import DeliveryFilterForm, SubscriptionForm
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.selectors import delivery_log, event_labels, subscriptions_for_admin
from integrations.signing import HEADER
from pipelinecrm.exceptions import DomainError
from pipelinecrm.responses import form_page

LOG_PAGE_SIZE = 25
SECTION = {"nav_section": "admin", "admin_section": "webhooks"}


# -- The list ------------------------------------------------------------------------------


@admin_required
@require_GET
def subscription_list(request: HttpRequest) -> HttpResponse:
    subscriptions = list(subscriptions_for_admin())
    for subscription in subscriptions:
        subscription.event_labels = event_labels(subscription.events)
    history = audit_history(WebhookSubscription.objects.all(), limit=20)
    return render(
        request,
        "integrations/subscriptions.html",
        SECTION | {"subscriptions": subscriptions, "history": history},
    )


# -- Create and edit -----------------------------------------------------------------------


def _form_page(request, form, subscription=None) -> HttpResponse:
    context = SECTION | {"form": form, "subscription": subscription}
    return form_page(request, "integrations/subscription_form.html", context)


def _save(request: HttpRequest, form: SubscriptionForm, save) -> WebhookSubscription | None:
    """Run ``save(**cleaned_data)``; None with the refusal on ``form`` when it is refused."""
    if not form.is_valid():
        return None
    try:
        return save(actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        apply_service_errors(form, error)
    except DomainError as error:
        form.add_error(None, error.message)
    return None


@admin_required
@require_http_methods(["GET", "POST"])
def subscription_create_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, SubscriptionForm())
    form = SubscriptionForm(request.POST)
    subscription = _save(request, form, services.subscription_create)
    if subscription is None:
        return _form_page(request, form)
    messages.success(
        request,
        _("Webhook “%(name)s” created. Give its secret to the receiving system.")
        % {"name": subscription.name},
    )
    return redirect("crm_admin:webhook", subscription_id=subscription.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
    if request.method == "GET":
        return _form_page(request, SubscriptionForm.for_subscription(subscription), subscription)
    form = SubscriptionForm(request.POST)

    def save(**data):
        return services.subscription_update(subscription=subscription, **data)

    saved = _save(request, form, save)
    if saved is None:
        return _form_page(request, form, subscription)
    messages.success(request, _("Webhook “%(name)s” saved.") % {"name": saved.name})
    return redirect("crm_admin:webhook", subscription_id=saved.pk)


# -- One subscription and its log ----------------------------------------------------------


@admin_required
@require_GET
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = get_object_or_404(
        WebhookSubscription.objects.select_related("pipeline", "created_by"), pk=subscription_id
    )
    subscription.event_labels = event_labels(subscription.events)
    status_filter = DeliveryFilterForm(request.GET)
    status = status_filter.cleaned_data["status"] if status_filter.is_valid() else ""
    page = Paginator(delivery_log(subscription, status=status), LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = SECTION | {
        "subscription": subscription,
        "status_filter": status_filter,
        "status": status,
        "page": page,
        "query": urlencode({"status": status}) if status else "",
        "history": audit_history(subscription),
    }
    return render(request, "integrations/subscription.html", context)


def _back(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """To the subscription's page, with the log's filter and page as they were."""
    url = reverse("crm_admin:webhook", kwargs={"subscription_id": subscription_id})
    keep = {
        name: request.POST[name]
        for name in ("status", "page")
        if request.POST.get(name, "").isalnum()
    }
    return redirect(f"{url}?{urlencode(keep)}" if keep else url)


def _act(request: HttpRequest, subscription_id: int, action) -> HttpResponse:
    """Call ``action(subscription) -> message``; the message or the refusal on the page."""
    subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
    try:
        message = action(subscription)
    except (DomainError, ValidationError) as error:
        text = error.message if isinstance(error, DomainError) else " ".join(error.messages)
        messages.error(request, text)
    else:
        messages.success(request, message)
    return _back(request, subscription.pk)


@admin_required
@require_POST
def subscription_rotate_view(request: HttpRequest, subscription_id: int) -> HttpResponse:
    def action(subscription):
        services.subscription_rotate_secret(actor=request.user, subscription=subscription)
        return _(
            "New secret made: the receiving system must use it from now on, or it will "
            "refuse the signatures."
        )

    return _act(request, subscription_id, action)


@admin_required
@require_POST
def subscription_resume_view(request: HttpRequest, subscription_id: int) -> HttpResponse:
    def action(subscription):
        services.subscription_resume_by(actor=request.user, subscription=subscription)
        return _("“%(name)s” resumed: the deliveries still pending go out now.") % {
            "name": subscription.name
        }

    return _act(request, subscription_id, action)


@admin_required
@require_POST
def subscription_test_view(request: HttpRequest, subscription_id: int) -> HttpResponse:
    def action(subscription):
        services.subscription_send_test(actor=request.user, subscription=subscription)
        return _("Test event queued: it shows in the log below once it is sent.")

    return _act(request, subscription_id, action)


@admin_required
@require_POST
def subscription_active_view(request: HttpRequest, subscription_id: int) -> HttpResponse:
    active = request.POST.get("is_active") == "1"

    def action(subscription):
        services.subscription_set_active(
            actor=request.user, subscription=subscription, is_active=active
        )
        if active:
            return _("“%(name)s” is active again.") % {"name": subscription.name}
        return _("“%(name)s” deactivated: no new events are sent to it.") % {
            "name": subscription.name
        }

    return _act(request, subscription_id, action)


@admin_required
@require_POST
def subscription_delete_view(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
    try:
        services.subscription_delete(actor=request.user, subscription=subscription)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("crm_admin:webhook", subscription_id=subscription.pk)
    messages.success(request, _("Webhook “%(name)s” deleted.") % {"name": subscription.name})
    return redirect("crm_admin:webhooks")


# -- One delivery --------------------------------------------------------------------------


def sent_headers(webhook_delivery: WebhookDelivery) -> list[tuple[str, str]]:
    """The headers a delivery goes out with (docs/domain/webhooks.md, "Delivery"); the
    signature is made anew at each attempt, from its time and the body."""
    return [
        ("Content-Type", "application/json; charset=utf-8"),
        ("User-Agent", USER_AGENT),
        (HEADER, "t=…,v1=…"),
        ("X-PipelineCRM-Event", webhook_delivery.event_type),
        ("X-PipelineCRM-Delivery", str(webhook_delivery.event_id)),
    ]


@admin_required
@require_GET
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    webhook_delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("subscription"), pk=delivery_id
    )
    context = SECTION | {
        "delivery": webhook_delivery,
        "subscription": webhook_delivery.subscription,
        "payload": json.dumps(webhook_delivery.payload, indent=2, ensure_ascii=False),
        "headers": sent_headers(webhook_delivery),
    }
    return render(request, "integrations/delivery.html", context)


@admin_required
@require_POST
def delivery_redeliver_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    webhook_delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
    try:
        services.delivery_redeliver(actor=request.user, webhook_delivery=webhook_delivery)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Delivery queued again, with the same event id and payload."),
        )
    if request.POST.get("from") == "delivery":
        return redirect("crm_admin:webhook-delivery", delivery_id=webhook_delivery.pk)
    return _back(request, webhook_delivery.subscription_id)
