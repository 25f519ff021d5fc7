"""Organizations and people (docs/domain/deals.md): shared by the whole company.

What a user relies on: anyone lists, searches, creates and edits them; a detail page shows
their people and only the deals the user may see; only admins delete, and only what no
deal or person still uses; deals pick or create them by name as you type.
"""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import Deal, Organization, Person
from tests.factories import make_deal

HTMX = {"HTTP_HX_REQUEST": "true"}


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_organizations_list_and_search_by_name_or_domain(company, login):
    Organization.objects.create(name="Acme", domain="acme.example")
    Organization.objects.create(name="Globex", domain="globex.example")
    Organization.objects.create(name="Initech", domain="acme-partner.example")
    client = login(company.rep1)

    everything = _text(client.get(reverse("organizations")))
    by_domain = _text(client.get(reverse("organizations"), {"q": "acme"}))
    nothing = _text(client.get(reverse("organizations"), {"q": "umbrella"}))

    assert all(name in everything for name in ("Acme", "Globex", "Initech"))
    assert "Acme" in by_domain
    assert "Initech" in by_domain
    assert "Globex" not in by_domain
    assert "No organization matches “umbrella”." in nothing


def test_people_search_by_name_email_or_organization(company, login):
    acme = Organization.objects.create(name="Acme")
    Person.objects.create(name="Jane Doe", email="jane@acme.example", organization=acme)
    Person.objects.create(name="John Roe", email="john@globex.example")
    client = login(company.rep2)

    by_org = _text(client.get(reverse("people"), {"q": "acme"}))
    by_email = _text(client.get(reverse("people"), {"q": "globex.example"}))

    assert "Jane Doe" in by_org
    assert "John Roe" not in by_org
    assert "John Roe" in by_email
    assert "Jane Doe" not in by_email


def test_anyone_creates_and_edits_an_organization_and_names_stay_unique(company, login):
    client = login(company.rep1)

    created = client.post(reverse("organization-new"), {"name": "Acme", "domain": "acme.example"})
    acme = Organization.objects.get()
    assert created.status_code == 302
    assert created.url == reverse("organization-detail", args=[acme.pk])

    duplicate = client.post(reverse("organization-new"), {"name": "ACME ", "domain": ""})
    assert duplicate.status_code == 422
    assert "An organization with this name already exists." in _text(duplicate)
    assert Organization.objects.count() == 1

    edited = login(company.rep3).post(
        reverse("organization-edit", args=[acme.pk]), {"name": "Acme Corp", "domain": "acme.io"}
    )
    assert edited.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.domain) == ("Acme Corp", "acme.io")


def test_a_person_is_created_with_their_organization_picked_or_made_by_name(company, login):
    acme = Organization.objects.create(name="Acme")
    client = login(company.rep1)

    client.post(
        reverse("person-new"),
        {
            "name": "Jane Doe",
            "email": "jane@acme.example",
            "phone": "",
            "organization_name": "acme",
        },
    )
    client.post(
        reverse("person-new"),
        {"name": "Sam Poe", "email": "", "phone": "+1 555", "organization_name": "Initech"},
    )

    jane, sam = Person.objects.get(name="Jane Doe"), Person.objects.get(name="Sam Poe")
    assert jane.organization == acme
    assert sam.organization.name == "Initech"
    assert Organization.objects.count() == 2
    invalid = client.post(
        reverse("person-new"), {"name": "Bad", "email": "not-an-email", "organization_name": ""}
    )
    assert invalid.status_code == 422


def test_detail_pages_list_people_and_only_the_deals_the_user_may_see(company, login):
    acme = Organization.objects.create(name="Acme")
    jane = Person.objects.create(name="Jane Doe", organization=acme)
    visible = make_deal(company.rep1, company.sales, title="Team deal", organization=acme)
    make_deal(company.rep3, company.sales, title="South deal", organization=acme, person=jane)
    make_deal(company.rep1, company.private, title="Private renewal", organization=acme)
    client = login(company.rep2)

    organization_page = _text(client.get(reverse("organization-detail", args=[acme.pk])))
    person_page = _text(client.get(reverse("person-detail", args=[jane.pk])))

    assert "Jane Doe" in organization_page
    assert "Team deal" in organization_page
    assert "South deal" not in organization_page
    assert "Private renewal" not in organization_page
    assert "South deal" not in person_page
    assert "No deals you can see." in person_page
    # The list counts only visible deals too.
    listed = client.get(reverse("organizations")).content.decode()
    row = re.search(r"<tr>\s*<td><a[^>]*>Acme</a>.*?</tr>", listed, re.S)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["1", "1"]
    assert visible.pk


def test_only_admins_delete_and_only_what_nothing_uses(company, login):
    acme = Organization.objects.create(name="Acme")
    jane = Person.objects.create(name="Jane Doe", organization=acme)
    deal = make_deal(company.rep1, company.sales, organization=acme, person=jane)

    by_rep = login(company.rep1).post(reverse("organization-delete", args=[acme.pk]))
    assert by_rep.status_code == 403
    assert "Only admins delete organizations and people." in _text(by_rep)

    admin = login(company.admin)
    in_use = admin.post(reverse("organization-delete", args=[acme.pk]))
    assert in_use.status_code == 409
    assert "“Acme” is still used by 1 deal and 1 person" in _text(in_use)
    person_in_use = admin.post(reverse("person-delete", args=[jane.pk]))
    assert person_in_use.status_code == 409
    assert "“Jane Doe” is the contact of 1 deal" in _text(person_in_use)
    assert Organization.objects.filter(pk=acme.pk).exists()

    Deal.objects.filter(pk=deal.pk).update(organization=None, person=None)
    assert admin.post(reverse("person-delete", args=[jane.pk])).status_code == 302
    gone = admin.post(reverse("organization-delete", args=[acme.pk]))
    assert gone.status_code == 302
    assert gone.url == reverse("organizations")
    assert not Organization.objects.exists()
    assert not Person.objects.exists()


def test_delete_buttons_are_shown_to_admins_only(company, login):
    acme = Organization.objects.create(name="Acme")
    url = reverse("organization-detail", args=[acme.pk])
    assert "Delete" not in _text(login(company.manager).get(url))
    assert "Delete" in _text(login(company.admin).get(url))


def test_the_suggestion_endpoints_feed_a_datalist_as_the_user_types(company, login):
    for name in ("Acme", "Acme Labs", "Globex"):
        Organization.objects.create(name=name)
    Person.objects.create(name="Jane Acme")
    client = login(company.rep1)

    organizations = client.get(
        reverse("organization-options"), {"organization_name": "acm"}, **HTMX
    ).content.decode()
    people = client.get(reverse("person-options"), {"person_name": "jane"}, **HTMX)

    assert organizations == '<option value="Acme"></option><option value="Acme Labs"></option>'
    assert people.content.decode() == '<option value="Jane Acme"></option>'
    assert client.get(reverse("organization-options"), {"organization_name": ""}).content == b""


def test_the_deal_form_asks_for_suggestions_and_creates_new_names(company, login):
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep1)

    page = client.get(reverse("deal-detail", args=[deal.pk])).content.decode()
    assert f'list="organization-options-{deal.pk}"' in page
    assert f'hx-get="{reverse("organization-options")}"' in page
    assert f'<datalist id="organization-options-{deal.pk}">' in page

    client.post(
        reverse("deal-edit", args=[deal.pk]),
        {
            "version": deal.version,
            "title": deal.title,
            "value": "1000",
            "organization_name": "Brand New Ltd",
            "person_name": "New Person",
        },
        **HTMX,
    )
    deal.refresh_from_db()
    assert deal.organization.name == "Brand New Ltd"
    assert deal.person.organization == deal.organization


def test_contact_pages_cost_the_same_queries_for_few_or_many(company, login):
    acme = Organization.objects.create(name="Acme")
    Person.objects.create(name="First", organization=acme)
    client = login(company.rep1)

    def counts() -> list[int]:
        result = []
        for url in (
            reverse("organizations"),
            reverse("people"),
            reverse("organization-detail", args=[acme.pk]),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    few = counts()
    for index in range(20):
        organization = Organization.objects.create(name=f"Org {index}")
        Person.objects.create(name=f"Person {index}", organization=acme)
        make_deal(company.rep1, company.sales, organization=acme if index % 2 else organization)
    assert counts() == few


def test_the_new_deal_dialog_suggests_names_and_picks_or_creates_them(company, login):
    acme = Organization.objects.create(name="Acme")
    stage = company.stages[0]
    url = reverse("deal-new", args=[company.sales.pk, stage.pk])
    client = login(company.rep1)

    dialog = client.get(url, **HTMX).content.decode()
    assert 'list="new-deal-organization-options"' in dialog
    assert '<datalist id="new-deal-organization-options">' in dialog
    assert '<datalist id="new-deal-person-options">' in dialog

    for title, organization in (("First", "acme"), ("Second", "Umbrella")):
        response = client.post(
            url,
            {
                "title": title,
                "owner": company.rep1.pk,
                "organization_name": organization,
                "person_name": "",
            },
            **HTMX,
        )
        assert response.status_code == 200
    assert Deal.objects.get(title="First").organization == acme
    assert Deal.objects.get(title="Second").organization.name == "Umbrella"
    assert Organization.objects.count() == 2
