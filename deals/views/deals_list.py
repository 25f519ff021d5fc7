"""The Deals page (docs/domain/board.md): open, won and lost deals in a sortable, paged table with
the board's filters plus status, pipeline and close-date range; bulk reassign / mark lost;
and the CSV export of exactly that list. Custom fields (docs/domain/custom-fields.md) can be
shown as columns (``cols``), sorted by and filtered, all in the URL."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from deals.access import deals_visible_to, visible_owner_ids
from deals.exports import export_csv, export_file_name
from deals.forms_filters import filter_inputs
from deals.forms_list import BulkActionForm
from deals.models import Deal, LostReason
from deals.selectors.custom_filters import PREFIX
from deals.selectors.deal_page import reassign_choices
from deals.selectors.lists import (
    SORTS,
    DealListFilters,
    custom_cells,
    deals_list,
    deals_list_page,
    list_custom_fields,
    list_pipelines,
)
from deals.services.bulk import BulkOutcome, deals_bulk_mark_lost, deals_bulk_reassign
from pipelines import custom_fields as types

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
    """Each column header links to its ascending sort, or descending when already ascending;
    the custom fields shown follow the fixed columns."""
    links = []
    custom = [(f"{PREFIX}{field.key}", field.name, field) for field in filters.column_fields]
    for key, label, field in [(key, label, None) for key, label in COLUMNS] + custom:
        current = filters.sort.removeprefix("-") == key
        descending = filters.sort.startswith("-")
        target = f"-{key}" if current and not descending else key
        links.append(
            {
                "label": label,
                "url": "?" + urlencode(filters.as_query(sort=target, page="")),
                "sort": ("descending" if descending else "ascending") if current else "",
                "numeric": key == "value" or bool(field and field.type in types.DECIMAL_TYPES),
            }
        )
    return links


def _people(user: User) -> list[User]:
    """Everyone the page's selects name, in one query: the people whose deals the user may
    see (``owns_visible``: the owner filter; for an admin, everyone who owns a deal) and the
    active users (user fields' filters). From the teams, not from the deals, so that it
    costs the same with 100,000 deals (docs/performance/benchmark.md)."""
    owners = visible_owner_ids(user)
    if owners is None:
        owns_visible = Exists(Deal.objects.filter(owner=OuterRef("pk")))
    else:
        owns_visible = ExpressionWrapper(Q(pk__in=owners), output_field=BooleanField())
    return list(
        User.objects.annotate(owns_visible=owns_visible)
        .filter(Q(is_active=True) | Q(owns_visible=True))
        .order_by("first_name", "last_name", "username")
    )


@login_required
@require_GET
def deals_page(request: HttpRequest) -> HttpResponse:
    filters = DealListFilters.from_query(request.GET, fields=list_custom_fields(request.GET))
    deals = deals_list(user=request.user, filters=filters)
    page = Paginator(deals_list_page(deals), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    custom_cells(page.object_list, filters.column_fields)
    owner_choices = reassign_choices(request.user)
    people = _people(request.user)
    context = {
        "filters": filters,
        "page": page,
        "query": urlencode(filters.as_query()),
        "sort_links": _sort_links(filters),
        "pipelines": list_pipelines(),
        "owner_filter_choices": [person for person in people if person.owns_visible],
        "custom_filters": filter_inputs(
            filters.custom_fields,
            filters.board,
            people=[person for person in people if person.is_active],
        ),
        "custom_filters_active": bool(filters.board.custom),
        "column_count": 1 + len(COLUMNS) + len(filters.columns),
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
    in the user's spreadsheet convention, or plain CSV with ``format=csv``; with a column
    per active custom field of the list."""
    filters = DealListFilters.from_query(request.GET, fields=list_custom_fields(request.GET))
    deals = deals_list(user=request.user, filters=filters)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    # Every active custom field of the list, whichever columns the page shows.
    lines = export_csv(deals, request.GET.get("format"), fields=filters.custom_fields)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
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
