"""Organizations and people: lists with search, create, edit, detail pages with their deals
(only those the user may see) and people; only admins delete, and only what nothing uses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals.access import deals_visible_to
from deals.forms_contacts import OrganizationForm, PersonForm
from deals.models import Organization, Person
from deals.selectors.filters import search_text
from deals.services.contacts import organization_delete, person_delete, person_save
from pipelinecrm.exceptions import DomainError
from pipelinecrm.responses import form_page

PAGE_SIZE = 50
OPTIONS_LIMIT = 20


def _visible_deals(request: HttpRequest, **lookup):
    return (
        deals_visible_to(request.user)
        .filter(**lookup)
        .select_related("pipeline", "stage", "owner")
        .order_by("status", "-updated_at", "-id")
    )


def _visible_deal_count(request: HttpRequest, relation: str) -> Count:
    """How many deals the user may see refer to each row (one subquery, no N+1)."""
    visible = deals_visible_to(request.user).values("pk")
    return Count(relation, filter=Q(**{f"{relation}__in": visible}), distinct=True)


def _options(names) -> HttpResponse:
    """``<option>`` elements for a ``<datalist>``."""
    html = format_html_join("", '<option value="{}"></option>', ((name,) for name in names))
    return HttpResponse(html)


def _typed(request: HttpRequest) -> str:
    """The text typed in whichever input asked for suggestions (htmx sends its name)."""
    return next((v for v in request.GET.values() if v.strip()), "").strip()[:100]


# -- organizations --------------------------------------------------------------------------


@login_required
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    q = search_text(request.GET)
    organizations = Organization.objects.annotate(
        people_count=Count("people", distinct=True),
        deal_count=_visible_deal_count(request, "deals"),
    ).order_by("name", "id")
    if q:
        organizations = organizations.filter(Q(name__icontains=q) | Q(domain__icontains=q))
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "nav_section": "organizations"}
    return render(request, "deals/organizations.html", context)


@login_required
@require_GET
def organization_options(request: HttpRequest) -> HttpResponse:
    typed = _typed(request)
    if not typed:
        return HttpResponse("")
    names = (
        Organization.objects.filter(name__icontains=typed)
        .order_by("name")
        .values_list("name", flat=True)[:OPTIONS_LIMIT]
    )
    return _options(names)


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = form.save()
        messages.success(
            request, _("Organization “%(name)s” created.") % {"name": organization.name}
        )
        return redirect("organization-detail", pk=organization.pk)
    context = {"form": form, "kind": "organization", "nav_section": "organizations"}
    return form_page(request, "deals/contact_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=pk)
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("organization-detail", pk=organization.pk)
    context = {
        "form": form,
        "kind": "organization",
        "object": organization,
        "nav_section": "organizations",
    }
    return form_page(request, "deals/contact_form.html", context)


def _organization_context(request: HttpRequest, organization: Organization) -> dict:
    return {
        "organization": organization,
        "people": list(organization.people.order_by("name", "id")),
        "deals": list(_visible_deals(request, organization=organization)),
        "nav_section": "organizations",
    }


@login_required
@require_GET
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=pk)
    context = _organization_context(request, organization)
    return render(request, "deals/organization_detail.html", context)


@login_required
@require_POST
def organization_remove(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=pk)
    try:
        organization_delete(user=request.user, organization=organization)
    except DomainError as error:
        context = _organization_context(request, organization) | {"error": error.message}
        return render(
            request, "deals/organization_detail.html", context, status=_refusal_status(error)
        )
    messages.success(request, _("Organization “%(name)s” deleted.") % {"name": organization.name})
    return redirect("organizations")


# -- people -----------------------------------------------------------------------------------


@login_required
@require_GET
def person_list(request: HttpRequest) -> HttpResponse:
    q = search_text(request.GET)
    people = (
        Person.objects.select_related("organization")
        .annotate(deal_count=_visible_deal_count(request, "deals"))
        .order_by("name", "id")
    )
    if q:
        people = people.filter(
            Q(name__icontains=q)
            | Q(email__icontains=q)
            | Q(phone__icontains=q)
            | Q(organization__name__icontains=q)
        )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "deals/people.html", {"page": page, "q": q, "nav_section": "people"})


@login_required
@require_GET
def person_options(request: HttpRequest) -> HttpResponse:
    typed = _typed(request)
    if not typed:
        return HttpResponse("")
    names = (
        Person.objects.filter(name__icontains=typed)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()[:OPTIONS_LIMIT]
    )
    return _options(names)


def _save_person(form: PersonForm) -> Person:
    return person_save(
        person=form.save(commit=False), organization_name=form.cleaned_data["organization_name"]
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = _save_person(form)
        messages.success(request, _("“%(name)s” added.") % {"name": person.name})
        return redirect("person-detail", pk=person.pk)
    context = {"form": form, "kind": "person", "nav_section": "people"}
    return form_page(request, "deals/contact_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organization"), pk=pk)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        _save_person(form)
        messages.success(request, _("Saved."))
        return redirect("person-detail", pk=person.pk)
    context = {"form": form, "kind": "person", "object": person, "nav_section": "people"}
    return form_page(request, "deals/contact_form.html", context)


def _person_context(request: HttpRequest, person: Person) -> dict:
    return {
        "person": person,
        "deals": list(_visible_deals(request, person=person)),
        "nav_section": "people",
    }


@login_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organization"), pk=pk)
    return render(request, "deals/person_detail.html", _person_context(request, person))


@login_required
@require_POST
def person_remove(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organization"), pk=pk)
    try:
        person_delete(user=request.user, person=person)
    except DomainError as error:
        context = _person_context(request, person) | {"error": error.message}
        return render(request, "deals/person_detail.html", context, status=_refusal_status(error))
    messages.success(request, _("“%(name)s” deleted.") % {"name": person.name})
    return redirect("people")


def _refusal_status(error: DomainError) -> int:
    # Still in use: the request was fine, the state refuses it (409); not an admin: 403.
    return 409 if error.status == 400 else error.status
