"""Custom fields in the board's "+" dialog: optional inputs of the pipeline's fields, folded
under "More fields" when there are more than three, saved with the new deal
(docs/domain/custom-fields.md, "Where values show")."""

from django.urls import reverse

from deals.models import Deal
from pipelines.models import CustomField
from tests.custom_fields.deal_fields import FormData, sales_fields, text_of
from tests.deals.board.helpers import BoardHTML
from tests.factories import make_custom_field

HTMX = {"HTTP_HX_REQUEST": "true"}
Type = CustomField.Type


def new_deal_url(stage) -> str:
    return reverse("deal-new", args=[stage.pipeline_id, stage.pk])


def dialog(client, stage) -> tuple[str, FormData]:
    response = client.get(new_deal_url(stage), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    return html, FormData(html, None)


def test_three_fields_or_fewer_show_as_optional_inputs_without_a_fold(company, login):
    make_custom_field("Budget", Type.MONEY, help_text="Their budget this year.")
    make_custom_field("Competitor", Type.SINGLE_CHOICE, pipeline=company.sales, options=("Acme",))
    make_custom_field("Region", Type.TEXT, pipeline=company.private)  # another pipeline's

    html, form = dialog(login(company.rep1), company.stages[0])

    assert "More fields" not in html
    assert {name for name in form.data if name.startswith("cf_")} == {
        "cf_budget",
        "cf_competitor",
    }
    text = text_of(html)
    assert "Budget (optional)" in text
    assert "Competitor (optional)" in text
    assert "Their budget this year." in text
    assert 'aria-describedby="id_cf_budget_helptext"' in html


def test_more_than_three_fields_fold_under_more_fields(company, login):
    sales_fields(company)

    html, _form = dialog(login(company.rep1), company.stages[0])

    assert '<details class="more-fields">' in html
    assert "<summary>More fields</summary>" in html
    fold = html[html.index('<details class="more-fields">') : html.index("</details>")]
    assert 'name="cf_budget"' in fold
    assert 'name="cf_tender_page"' in fold
    assert 'name="title"' not in fold


def test_the_values_are_saved_with_the_new_deal_and_its_card_shows_them(company, login):
    sales_fields(company)
    stage = company.stages[1]
    client = login(company.rep1)
    _html, form = dialog(client, stage)

    response = client.post(
        new_deal_url(stage),
        form.with_changes(
            title="Hooli expansion",
            cf_budget="12500",
            cf_competitor="globex",
            cf_budget_confirmed="yes",
            cf_products=["erp"],
            cf_tender_deadline="2027-03-31",
            cf_technical_contact=str(company.rep2.pk),
            cf_tender_page="hooli.example/tender",
        ),
        **HTMX,
    )

    assert response.status_code == 200
    deal = Deal.objects.get(title="Hooli expansion")
    assert deal.custom_fields == {
        "budget": "12500",
        "competitor": "globex",
        "budget_confirmed": True,
        "products": ["erp"],
        "tender_deadline": "2027-03-31",
        "technical_contact": company.rep2.pk,
        "tender_page": "https://hooli.example/tender",
    }
    assert BoardHTML(response).cards[stage.pk] == [deal.pk]
    card = text_of(response.content.decode())
    assert "Budget €12,500 Competitor Globex Budget confirmed Yes" in card


def test_a_bad_value_keeps_the_dialog_open_on_its_input_and_creates_nothing(company, login):
    sales_fields(company)
    stage = company.stages[0]
    client = login(company.rep1)
    _html, form = dialog(client, stage)

    response = client.post(
        new_deal_url(stage),
        form.with_changes(title="Hooli", cf_term_months="a dozen", cf_budget="12.345,678"),
        **HTMX,
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert '<details class="more-fields" open>' in html  # the error is not hidden
    assert '<ul class="errorlist" id="id_cf_term_months_error"><li>Enter a number.</li>' in html
    assert 'id="id_cf_budget_error"' in html
    assert FormData(html, None).data["cf_term_months"] == ["a dozen"]
    assert not Deal.objects.filter(title="Hooli").exists()


def test_no_custom_field_means_the_dialog_as_before(company, login):
    stage = company.stages[0]
    client = login(company.rep1)
    html, form = dialog(client, stage)
    assert "cf_" not in html

    response = client.post(new_deal_url(stage), form.with_changes(title="Plain"), **HTMX)

    assert response.status_code == 200
    assert Deal.objects.get(title="Plain").custom_fields == {}
