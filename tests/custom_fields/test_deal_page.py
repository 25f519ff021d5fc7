"""Custom fields on the deal page: shown under Details, edited in place with the other
details, every change in the timeline; read-only viewers see the values
(docs/domain/custom-fields.md, "Where values show")."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import DealEvent
from deals.services.editing import deal_update
from pipelines.models import CustomField
from tests.custom_fields.deal_fields import FormData, sales_fields, text_of
from tests.factories import make_custom_field, make_deal, make_pipeline, make_user, reload, speaking

HTMX = {"HTTP_HX_REQUEST": "true"}
Type = CustomField.Type


@pytest.fixture
def fields(company):
    return sales_fields(company)


def page(client, deal, **extra):
    return client.get(reverse("deal-detail", args=[deal.pk]), **extra)


def edit(client, deal, **changes):
    """Post the Details form as the browser would send it, with ``changes``."""
    action = reverse("deal-edit", args=[deal.pk])
    form = FormData(page(client, deal).content.decode(), action)
    return client.post(action, form.with_changes(**changes), **HTMX)


def test_the_editor_gets_an_input_per_active_field_filled_with_the_deal_s_values(
    company, login, fields
):
    elsewhere = make_custom_field("Region", Type.TEXT, pipeline=company.private)
    archived = make_custom_field("Old score", Type.NUMBER, pipeline=company.sales)
    archived.is_archived = True
    archived.save()
    deal = make_deal(
        company.rep1,
        company.sales,
        custom_fields={"budget": Decimal("12500"), "competitor": "globex", "term_months": 24},
    )

    response = page(login(company.rep1), deal)

    html = response.content.decode()
    form = FormData(html, reverse("deal-edit", args=[deal.pk])).data
    assert form["cf_budget"] == ["12500"]
    assert form["cf_competitor"] == ["globex"]
    assert form["cf_term_months"] == ["24"]
    assert form["cf_budget_confirmed"] == [""]  # "—": not set
    # The help text is shown and tied to its input.
    assert f'id="deal-{deal.pk}-cf_term_months_helptext"' in html
    assert "Length of the contract." in text_of(html)
    assert f'aria-describedby="deal-{deal.pk}-cf_term_months_helptext"' in html
    # Every field of the deal's pipeline and the global one; not another pipeline's, not
    # an archived one.
    assert {name for name in form if name.startswith("cf_")} == {
        "cf_budget",
        "cf_competitor",
        "cf_budget_confirmed",
        "cf_term_months",
        "cf_tender_deadline",
        "cf_competitor_note",
        "cf_background",
        "cf_technical_contact",
        "cf_tender_page",
    }  # the products' checkboxes send nothing while none is ticked
    assert f"cf_{elsewhere.key}" not in html
    assert f"cf_{archived.key}" not in html
    assert f"<legend>{fields.products.name}</legend>" in html


def test_editing_saves_the_changed_fields_only_each_with_a_timeline_event(company, login, fields):
    deal = make_deal(
        company.rep1,
        company.sales,
        title="Umbrella",
        custom_fields={"competitor": "acme", "competitor_note": "Cheaper", "budget": 9000},
    )
    client = login(company.rep1)

    response = edit(
        client,
        deal,
        title="Umbrella pilot",
        cf_budget="12500.50",
        cf_competitor="globex",
        cf_budget_confirmed="yes",
        cf_products=["crm", "erp"],
        cf_tender_deadline="2026-12-31",
        cf_competitor_note="",  # cleared
        cf_background="Line one\nLine two",
        cf_technical_contact=str(company.rep2.pk),
        cf_tender_page="example.com/tender",
    )

    assert response.status_code == 200
    assert "Saved." in text_of(response.content.decode())
    deal = reload(deal)
    assert deal.title == "Umbrella pilot"
    assert deal.custom_fields == {
        "budget": "12500.5",
        "competitor": "globex",
        "budget_confirmed": True,
        "products": ["crm", "erp"],
        "tender_deadline": "2026-12-31",
        "background": "Line one\nLine two",
        "technical_contact": company.rep2.pk,
        "tender_page": "https://example.com/tender",
    }
    assert deal.version == 2  # one edit, one version
    edited = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED)
    assert sorted(e.data.get("custom_field", e.data["field"]) for e in edited) == [
        "background",
        "budget",
        "budget_confirmed",
        "competitor",
        "competitor_note",
        "products",
        "technical_contact",
        "tender_deadline",
        "tender_page",
        "title",
    ]
    timeline = text_of(response.content.decode())
    assert "Rep1 Test changed Competitor from “Acme” to “Globex”." in timeline
    assert "Rep1 Test changed Competitor note from “Cheaper” to empty." in timeline

    # Saving again without a change writes nothing.
    again = edit(client, deal)
    assert again.status_code == 200
    assert reload(deal).version == 2


def test_a_value_the_type_refuses_is_an_error_on_its_input_and_nothing_is_saved(
    company, login, fields
):
    deal = make_deal(company.rep1, company.sales, title="Before")

    response = edit(
        login(company.rep1),
        deal,
        title="After",
        cf_term_months="twelve",
        cf_budget="-5",
        cf_tender_page="not a web address",
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="deal-{deal.pk}-cf_term_months_error"' in html
    assert f'id="deal-{deal.pk}-cf_budget_error"' in html
    assert f'id="deal-{deal.pk}-cf_tender_page_error"' in html
    text = text_of(html)
    assert "Term months: Enter a number." in text  # also said at the top of the panel
    assert "Ensure this value is greater than or equal to 0" in text
    assert "Enter a valid URL." in text
    # The form comes back as typed.
    form = FormData(html, reverse("deal-edit", args=[deal.pk])).data
    assert form["cf_term_months"] == ["twelve"]
    assert form["title"] == ["After"]
    deal = reload(deal)
    assert (deal.title, deal.custom_fields, deal.version) == ("Before", {}, 1)


def test_a_stale_edit_of_a_custom_field_is_refused_as_any_other(company, login, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"competitor": "acme"})
    client = login(company.rep1)
    action = reverse("deal-edit", args=[deal.pk])
    form = FormData(page(client, deal).content.decode(), action)
    deal_update(  # someone saves another value meanwhile
        user=company.rep1, deal=deal, version=deal.version, custom_fields={"competitor": "initech"}
    )

    response = client.post(action, form.with_changes(cf_competitor="globex"), **HTMX)

    assert response.status_code == 409
    text = text_of(response.content.decode())
    assert "Someone else changed this deal in the meantime" in text
    assert "Your changes were not saved" in text
    assert reload(deal).custom_fields == {"competitor": "initech"}


def test_a_deactivated_user_the_deal_holds_is_kept_when_other_details_are_saved(
    company, login, fields
):
    former = make_user("former", first_name="Fred", last_name="Former")
    deal = make_deal(company.rep1, company.sales, custom_fields={"technical_contact": former.pk})
    former.is_active = False
    former.save()

    response = edit(login(company.rep1), deal, title="Renamed")

    assert response.status_code == 200
    deal = reload(deal)
    assert deal.title == "Renamed"
    assert deal.custom_fields == {"technical_contact": former.pk}


def test_a_teammate_sees_the_values_as_text_and_no_input(company, login, fields):
    deal = make_deal(
        company.rep1,
        company.sales,
        custom_fields={
            "budget": Decimal("12500"),
            "products": ["crm", "erp"],
            "background": "Line one\nLine <two>",
            "technical_contact": company.rep2.pk,
            "tender_page": "https://example.com/tender?a=1&b=2",
            "budget_confirmed": False,
        },
    )

    response = page(login(company.rep2), deal)  # Sales is a team pipeline: read-only

    html = response.content.decode()
    assert 'name="cf_' not in html
    text = text_of(html)
    assert "Budget €12,500" in text
    assert "Products CRM, ERP" in text
    assert "Budget confirmed No" in text  # "no" is a value
    assert "Technical contact Rep2 Test" in text
    assert "Competitor Not set" in text
    assert '<span class="muted">Not set</span>' in html
    assert "Line one<br>Line &lt;two&gt;" in html  # line breaks kept, escaped
    assert (
        '<a class="custom-value-link" href="https://example.com/tender?a=1&amp;b=2" '
        'target="_blank" rel="noopener noreferrer">'
    ) in html


def test_the_page_reads_in_german_with_german_amounts_dates_and_yes(company, login, fields):
    deal = make_deal(
        company.rep1,
        company.sales,
        custom_fields={
            "budget": Decimal("12500"),
            "tender_deadline": datetime.date(2026, 12, 31),
            "budget_confirmed": True,
            "term_months": Decimal("1234.5"),
        },
    )
    speaking(company.rep2, "de")

    text = text_of(page(login(company.rep2), deal).content.decode())

    assert "Budget 12.500\u00a0€" in text
    assert "Tender deadline 31.12.2026" in text
    assert "Budget confirmed Ja" in text
    assert "Term months 1.234,5" in text


def test_the_editor_s_yes_no_choices_are_in_german(company, login, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"budget_confirmed": False})

    html = page(login(speaking(company.rep1, "de")), deal).content.decode()

    assert '<option value="yes">Ja</option>' in html
    assert '<option value="no" selected>Nein</option>' in html


def _page_queries(client, deal) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert page(client, deal).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["rep1", "rep2"])  # the editor and a read-only teammate
def test_the_page_costs_the_same_queries_with_no_custom_field_or_twenty(
    company, login, who, django_assert_max_num_queries
):
    deal = make_deal(company.rep1, company.sales)
    client = login(getattr(company, who))
    page(client, deal)  # warm up the session
    without = _page_queries(client, deal)

    values = {}
    for n in range(20):
        kind = [Type.TEXT, Type.MONEY, Type.DATE, Type.YES_NO, Type.SINGLE_CHOICE][n % 5]
        field = make_custom_field(
            f"Field {n}", kind, pipeline=company.sales, options=("Acme", "Globex")
        )
        values[field.key] = {
            Type.TEXT: "Some text",
            Type.MONEY: Decimal(n * 100),
            Type.DATE: datetime.date(2027, 1, n + 1),
            Type.YES_NO: n % 2 == 0,
            Type.SINGLE_CHOICE: "globex",
        }[kind]
    deal_update(user=company.rep1, deal=deal, version=None, custom_fields=values)

    with django_assert_max_num_queries(without):
        response = page(client, deal)
    assert response.status_code == 200
    assert "Field 19" in response.content.decode()
    assert _page_queries(client, deal) == without


def test_user_fields_cost_one_query_however_many(company, login, fields):
    """The names a read-only viewer reads: one query for every user field."""
    second = make_custom_field("Sponsor", Type.USER, pipeline=company.sales)
    deal = make_deal(company.rep1, company.sales)
    client = login(company.rep2)
    page(client, deal)
    empty = _page_queries(client, deal)
    deal_update(
        user=company.rep1,
        deal=deal,
        version=None,
        custom_fields={"technical_contact": company.rep1.pk, second.key: company.manager.pk},
    )

    assert _page_queries(client, deal) == empty + 1


def test_another_pipeline_s_deal_shows_its_own_fields_only(company, login, fields):
    renewals_field = make_custom_field("Renewal window", Type.TEXT, pipeline=company.private)
    other = make_pipeline("Partners")
    deal = make_deal(company.rep1, other, custom_fields={"budget": Decimal("10")})

    html = page(login(company.rep1), deal).content.decode()

    assert 'name="cf_budget"' in html  # for every pipeline
    assert 'name="cf_competitor"' not in html
    assert f'name="cf_{renewals_field.key}"' not in html
