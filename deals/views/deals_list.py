"""The Deals page (docs/domain/board.md): open, won and lost deals in a sortable, paged table with
the board's filters plus status, pipeline and close-date range; bulk reassign / mark lost;
and the CSV export of exactly that list."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from deals.access import deals_visible_to
from deals.exports import export_csv, export_file_name
from deals.forms_list import BulkActionForm
from deals.models import Deal, LostReason
from deals.selectors.deal_page import reassign_choices
from deals.selectors.lists import (
    SORTS,
    DealListFilters,
    deals_list,
    deals_list_page,
    list_pipelines,
)
from deals.services.bulk import BulkOutcome, deals_bulk_mark_lost, deals_bulk_reassign

PAGE_SIZE = 50
MAX_REFUSALS_SHOWN = 20
COLUMNS = [
    ("title", gettext_lazy("Deal")),
    ("organization", gettext_lazy("Organization")),
    ("value", gettext_lazy("Value")),
    ("stage", gettext_lazy("Stage")),
    ("owner", gettext_lazy("Owner")),
    ("close", gettext_lazy("Expected close")),
    ("status", gettext_lazy("Status")),
    # Translators: column of the deals list: when the deal was last changed
    ("updated", gettext_lazy("Updated")),
]


def _sort_links(filters: DealListFilters) -> list[dict]:
    """Each column header links to its ascending sort, or descending when already ascending."""
    links = []
    for key, label in COLUMNS:
        current = filters.sort.removeprefix("-") == key
        descending = filters.sort.startswith("-")
        target = f"-{key}" if current and not descending else key
        links.append(
            {
                "label": label,
                "url": "?" + urlencode(filters.as_query(sort=target, page="")),
                "sort": ("descending" if descending else "ascending") if current else "",
                "numeric": key == "value",
            }
        )
    return links


@login_required
@require_GET
def deals_page(request: HttpRequest) -> HttpResponse:
    filters = DealListFilters.from_query(request.GET)
    deals = deals_list(user=request.user, filters=filters)
    page = Paginator(deals_list_page(deals), PAGE_SIZE).get_page(request.GET.get("page"))
    owner_choices = reassign_choices(request.user)
    context = {
        "filters": filters,
        "page": page,
        "query": urlencode(filters.as_query()),
        "sort_links": _sort_links(filters),
        "pipelines": list_pipelines(),
        "owner_filter_choices": User.objects.filter(
            pk__in=deals_visible_to(request.user).values("owner_id")
        ).order_by("first_name", "last_name", "username"),
        "bulk_form": BulkActionForm(owner_choices=owner_choices),
        "lost_reasons": LostReason.objects.filter(is_active=True),
        "export_url": reverse("deals-export") + "?" + urlencode(filters.as_query()),
        "export_plain_url": reverse("deals-export")
        + "?"
        + urlencode(filters.as_query() | {"format": "csv"}),
        "statuses": Deal.Status.choices,
        "sorts": SORTS,
        "nav_section": "deals",
    }
    return render(request, "deals/deals_list.html", context)


@login_required
@require_GET
def deals_export(request: HttpRequest) -> StreamingHttpResponse:
    """Exactly the list the same query string shows, every page of it, in the same order:
    in the user's spreadsheet convention, or plain CSV with ``format=csv``."""
    filters = DealListFilters.from_query(request.GET)
    deals = deals_list(user=request.user, filters=filters)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(
        export_csv(deals, request.GET.get("format")), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{export_file_name(stamp)}.csv"
    )
    return response


def _back(query: str):
    """Back to the list as it was filtered; the query is re-parsed, never trusted as a URL."""
    filters = DealListFilters.from_query(QueryDict(query))
    params = urlencode(filters.as_query())
    return redirect(reverse("deals-list") + (f"?{params}" if params else ""))


def _report(request: HttpRequest, outcome: BulkOutcome, done_text: Callable[[int], str]) -> None:
    """``done_text(n)``: the sentence for ``n`` deals done, in the user's language."""
    if outcome.done:
        messages.success(request, done_text(len(outcome.done)))
    if outcome.refused:
        count = len(outcome.refused)
        messages.warning(
            request,
            ngettext(
                "%(count)s deal refused; nothing changed on them:",
                "%(count)s deals refused; nothing changed on them:",
                count,
            )
            % {"count": count},
        )
        for deal, reason in outcome.refused[:MAX_REFUSALS_SHOWN]:
            # Translators: a deal the bulk action refused, and why
            refusal = _("“%(title)s”: %(reason)s")
            messages.error(request, refusal % {"title": deal.title, "reason": reason})
        if count > MAX_REFUSALS_SHOWN:
            more = count - MAX_REFUSALS_SHOWN
            messages.error(
                request,
                ngettext("… and %(count)s more.", "… and %(count)s more.", more) % {"count": more},
            )


@login_required
@require_POST
def deals_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkActionForm(request.POST, owner_choices=reassign_choices(request.user))
    query = request.POST.get("query", "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(query)
    data = form.cleaned_data
    # Only deals the user may see take part; any other id is simply not found.
    wanted = data["deal"]
    deals = list(
        deals_visible_to(request.user)
        .filter(pk__in=wanted)
        .select_related("owner", "stage", "pipeline")
        .order_by("pk")
    )
    outcome = BulkOutcome()
    if data["action"] == "reassign":
        owner = data["owner"]
        outcome = deals_bulk_reassign(
            user=request.user, deals=deals, versions=data["versions"], new_owner=owner
        )

        def done_text(count: int) -> str:
            return ngettext(
                "Reassigned %(count)s deal to %(owner)s.",
                "Reassigned %(count)s deals to %(owner)s.",
                count,
            ) % {"count": count, "owner": owner.display_name}

    else:
        outcome = deals_bulk_mark_lost(
            user=request.user,
            deals=deals,
            versions=data["versions"],
            reason=data["reason"],
            note=data["note"],
        )

        def done_text(count: int) -> str:
            return ngettext(
                "Marked %(count)s deal as lost.", "Marked %(count)s deals as lost.", count
            ) % {"count": count}

    missing = len(set(wanted)) - len(deals)
    _report(request, outcome, done_text)
    if missing:
        messages.error(
            request,
            ngettext(
                "%(count)s selected deal no longer exists or is not yours to see.",
                "%(count)s selected deals no longer exist or are not yours to see.",
                missing,
            )
            % {"count": missing},
        )
    return _back(query)
