"""Custom field definitions on the admin pages and through their services: create, rename,
archive, restore, delete, reorder, options; every change audited
(docs/domain/custom-fields.md, docs/domain/admin-pages.md)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from pipelinecrm.exceptions import Forbidden, InvalidRequest
from pipelines import custom_fields as types
from pipelines.models import ChecklistItem, CustomField, CustomFieldOption, Pipeline
from pipelines.selectors import custom_fields_for
from pipelines.services import (
    custom_field_archive,
    custom_field_create,
    custom_field_delete,
    custom_field_option_add,
    custom_field_option_archive,
    custom_field_restore,
    custom_field_shift,
    custom_field_update,
    custom_fields_reorder,
    pipeline_duplicate,
)
from tests.factories import make_custom_field, make_deal, make_item, reload
from tests.helpers import assert_no_inline_script

pytestmark = pytest.mark.django_db

Type = CustomField.Type
HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("crm_admin:custom-fields")


def _create(client, **values):
    data = {"name": "", "pipeline": "", "type": "text", "help_text": "", "options": ""} | values
    if data.pop("show_on_card", False):
        data["show_on_card"] = "on"
    return client.post(LIST, data)


def _page(client, field) -> str:
    return client.get(reverse("crm_admin:custom-field", args=[field.pk])).content.decode()


def _audit(target, action: str) -> AuditEntry:
    return AuditEntry.objects.get(
        object_type=target._meta.label_lower, object_id=str(target.pk), action=action
    )


def _option_labels(field) -> list[str]:
    return list(
        field.options.filter(is_archived=False).order_by("position").values_list("label", flat=True)
    )


# -- creating ---------------------------------------------------------------------------


@pytest.mark.parametrize("type_", Type.values)
def test_admin_creates_a_field_of_each_type_from_the_list_page(admin_client, company, type_):
    choice = type_ in (Type.SINGLE_CHOICE, Type.MULTIPLE_CHOICE)

    response = _create(
        admin_client,
        name="Contract term",
        pipeline=company.sales.pk,
        type=type_,
        help_text="  In months  ",
        show_on_card=True,
        options="Acme\n\n Globex \n" if choice else "typed before the type changed",
    )

    field = CustomField.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm_admin:custom-field", args=[field.pk])
    assert (field.key, field.name, field.type, field.pipeline) == (
        "contract_term",
        "Contract term",
        type_,
        company.sales,
    )
    assert (field.help_text, field.show_on_card, field.is_archived) == ("In months", True, False)
    assert _option_labels(field) == (["Acme", "Globex"] if choice else [])
    assert [f.key for f in custom_fields_for(company.sales.pk)] == ["contract_term"]
    entry = _audit(field, "created")
    assert entry.actor == company.admin
    assert entry.changes["type"] == type_
    assert entry.changes["pipeline"] == "Sales"


def test_a_field_for_every_pipeline_is_on_the_deals_of_each(admin_client, company):
    _create(admin_client, name="Budget", type="money")

    field = CustomField.objects.get()
    assert field.pipeline is None
    assert field in custom_fields_for(company.sales.pk)
    assert field in custom_fields_for(company.private.pk)


def test_keys_are_slugs_of_the_name_unique_and_short(company):
    admin = company.admin
    first = custom_field_create(actor=admin, pipeline=company.sales, name="Budget", type="money")
    custom_field_archive(actor=admin, field=first)
    second = custom_field_create(actor=admin, pipeline=company.sales, name="Budget", type="money")
    third = custom_field_create(actor=admin, pipeline=None, name="Budget!", type="text")
    long = custom_field_create(actor=admin, pipeline=None, name="Über " + "x" * 95, type="text")
    symbols = custom_field_create(actor=admin, pipeline=None, name="€ / €", type="text")
    options = custom_field_create(
        actor=admin,
        pipeline=None,
        name="Size",
        type="single_choice",
        options=["Small / medium", "Small-medium", "XL"],
    )

    assert (first.key, second.key, third.key) == ("budget", "budget_2", "budget_3")
    assert long.key.startswith("uber_xxx")
    assert len(long.key) == 50
    assert symbols.key == "field"
    assert list(options.options.values_list("key", flat=True)) == [
        "small_medium",
        "small_medium_2",
        "xl",
    ]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "  "}, "name", "A field needs a name."),
        ({"name": "Competitor", "type": "single_choice"}, "options", "at least one option"),
        (
            {"name": "Competitor", "type": "single_choice", "options": "Acme\nacme"},
            "options",
            "“acme” is listed twice.",
        ),
        ({"name": "Competitor", "type": "colour"}, "type", "Select a valid choice."),
        ({"name": "Budget"}, "name", "There is already a field “Budget” for every pipeline."),
    ],
)
def test_bad_definitions_are_refused_next_to_the_field(
    admin_client, company, values, field, message
):
    make_custom_field("Budget", Type.MONEY)

    response = _create(admin_client, **({"pipeline": company.sales.pk} | values))

    assert response.status_code == 422
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    assert message in response.content.decode().replace("&quot;", '"')
    assert CustomField.objects.count() == 1


def test_names_may_repeat_on_different_pipelines_but_not_on_the_same_deals(company):
    admin = company.admin
    custom_field_create(actor=admin, pipeline=company.sales, name="Region", type="text")
    custom_field_create(actor=admin, pipeline=company.private, name="region", type="text")

    with pytest.raises(Exception, match="on the deals of Sales"):
        custom_field_create(actor=admin, pipeline=None, name="REGION", type="text")


def test_only_admins_change_definitions(company):
    field = make_custom_field("Budget", Type.MONEY)

    with pytest.raises(Forbidden):
        custom_field_create(actor=company.manager, pipeline=None, name="X", type="text")
    with pytest.raises(Forbidden):
        custom_field_update(
            actor=company.rep1, field=field, name="Y", help_text="", show_on_card=False
        )
    with pytest.raises(Forbidden):
        custom_field_delete(actor=company.rep1, field=field)


# -- renaming, archiving, deleting --------------------------------------------------------


def test_renaming_keeps_the_key_and_the_values_of_deals(admin_client, company):
    field = make_custom_field("Budget", Type.MONEY, pipeline=company.sales)
    deal = make_deal(company.rep1, company.sales, custom_fields={"budget": Decimal("12000")})

    response = admin_client.post(
        reverse("crm_admin:custom-field-edit", args=[field.pk]),
        {"settings-name": "Approved budget", "settings-help_text": "", "settings-show_on_card": ""},
        **HTMX,
    )

    assert response.status_code == 200
    assert "Field “Approved budget” saved." in response.content.decode()
    field.refresh_from_db()
    assert (field.key, field.name) == ("budget", "Approved budget")
    assert reload(deal).custom_fields == {"budget": "12000"}
    shown = next(f for f in custom_fields_for(company.sales.pk) if f.key == "budget")
    assert shown.name == "Approved budget"
    assert _audit(field, "renamed").changes == {"name": ["Budget", "Approved budget"]}


def test_the_type_cannot_change_and_the_page_says_so(admin_client, company):
    field = make_custom_field("Budget", Type.MONEY)

    admin_client.post(
        reverse("crm_admin:custom-field-edit", args=[field.pk]),
        {"settings-name": "Budget", "settings-type": "text", "settings-show_on_card": "on"},
    )

    field.refresh_from_db()
    assert (field.type, field.show_on_card) == ("money", True)
    page = _page(admin_client, field)
    assert "The type is fixed once the field exists" in page
    assert 'name="settings-type"' not in page


def test_archiving_hides_the_field_and_keeps_the_values_restoring_brings_them_back(
    admin_client, company
):
    field = make_custom_field("Budget", Type.MONEY)
    other = make_custom_field("Competitor note", Type.TEXT)
    deal = make_deal(company.rep1, company.sales, custom_fields={"budget": Decimal(5)})

    response = admin_client.post(reverse("crm_admin:custom-field-archive", args=[field.pk]))

    assert response.status_code == 302
    assert [f.key for f in custom_fields_for(company.sales.pk)] == ["competitor_note"]
    assert [f.key for f in custom_fields_for(None, include_archived=True)] == [
        "competitor_note",
        "budget",
    ]
    assert reload(deal).custom_fields == {"budget": "5"}
    assert "archived: it is hidden everywhere" in _page(admin_client, field)
    assert _audit(field, "archived").changes == {"is_archived": [False, True]}

    admin_client.post(reverse("crm_admin:custom-field-restore", args=[field.pk]))

    assert [f.key for f in custom_fields_for(company.sales.pk)] == ["competitor_note", "budget"]
    assert _audit(field, "restored")
    assert other.key in {f.key for f in custom_fields_for(company.sales.pk)}


def test_restoring_beside_an_active_namesake_is_refused_until_renamed(company):
    admin = company.admin
    old = custom_field_create(actor=admin, pipeline=None, name="Budget", type="money")
    custom_field_archive(actor=admin, field=old)
    custom_field_create(actor=admin, pipeline=None, name="Budget", type="money")

    with pytest.raises(InvalidRequest, match="Rename one of them"):
        custom_field_restore(actor=admin, field=old)
    custom_field_update(actor=admin, field=old, name="Old budget", help_text="", show_on_card=False)
    custom_field_restore(actor=admin, field=old)

    assert not reload_field(old).is_archived


def reload_field(field: CustomField) -> CustomField:
    return CustomField.objects.get(pk=field.pk)


def test_delete_is_refused_while_a_deal_holds_a_value(admin_client, company):
    field = make_custom_field("Budget", Type.MONEY)
    make_deal(company.rep1, company.private, custom_fields={"budget": Decimal(1)})

    response = admin_client.post(
        reverse("crm_admin:custom-field-delete", args=[field.pk]), follow=True
    )

    page = response.content.decode()
    assert "1 deal holds a value of “Budget”, so it cannot be deleted. Archive it instead" in page
    assert CustomField.objects.filter(pk=field.pk).exists()
    assert not AuditEntry.objects.filter(action="deleted").exists()


def test_delete_is_refused_while_a_checklist_item_names_the_field(admin_client, company):
    field = make_custom_field("Budget confirmed", Type.YES_NO)
    make_item(
        company.stages[1],
        text="Budget confirmed",
        satisfied_by="custom_field",
        custom_field=field,
        condition="yes",
        is_archived=True,
    )

    response = admin_client.post(
        reverse("crm_admin:custom-field-delete", args=[field.pk]), follow=True
    )

    page = response.content.decode()
    assert "A checklist item of Sales › Qualification names “Budget confirmed”" in page
    assert CustomField.objects.filter(pk=field.pk).exists()


def test_delete_of_an_unused_field_removes_it_and_its_options(admin_client, company):
    field = make_custom_field("Competitor", Type.SINGLE_CHOICE, options=("Acme", "Globex"))
    kept = make_custom_field("Budget", Type.MONEY)
    make_deal(company.rep1, company.sales, custom_fields={"budget": Decimal(1)})

    response = admin_client.post(reverse("crm_admin:custom-field-delete", args=[field.pk]))

    assert response.status_code == 302
    assert response.url == LIST
    assert list(CustomField.objects.values_list("key", flat=True)) == ["budget"]
    assert not CustomFieldOption.objects.exists()
    entry = AuditEntry.objects.get(object_type="pipelines.customfield", action="deleted")
    assert (entry.object_repr, entry.changes) == (
        "Competitor",
        {"key": "competitor", "type": "single_choice"},
    )
    reload_field(kept)


# -- order ----------------------------------------------------------------------------


def test_move_up_and_down_in_a_pipelines_list_keeps_other_fields_in_place(admin_client, company):
    renewals_only = make_custom_field("Renewal date", Type.DATE, pipeline=company.private)
    budget = make_custom_field("Budget", Type.MONEY)
    term = make_custom_field("Term", Type.NUMBER, pipeline=company.sales)
    region = make_custom_field("Region", Type.TEXT, pipeline=company.private)

    response = admin_client.post(
        reverse("crm_admin:custom-field-shift", args=[term.pk]),
        {"direction": "up", "pipeline": company.sales.pk},
        **HTMX,
    )

    assert response.status_code == 200
    assert "“Term” moved up." in response.content.decode()
    assert [f.key for f in custom_fields_for(company.sales.pk)] == ["term", "budget"]
    order = [f.pk for f in custom_fields_for(None)]
    assert order == [renewals_only.pk, term.pk, budget.pk, region.pk]
    assert _audit(term, "moved").changes == {"position": [3, 2]}
    refused = admin_client.post(
        reverse("crm_admin:custom-field-shift", args=[term.pk]),
        {"direction": "up", "pipeline": company.sales.pk},
        **HTMX,
    )
    assert refused.status_code == 400
    assert "cannot move further" in refused.content.decode()


def test_move_without_javascript_redirects_back_to_the_list(admin_client, company):
    first = make_custom_field("A", Type.TEXT)
    second = make_custom_field("B", Type.TEXT)

    response = admin_client.post(
        reverse("crm_admin:custom-field-shift", args=[first.pk]), {"direction": "down"}
    )

    assert response.status_code == 302
    assert response.url == LIST
    assert [f.pk for f in custom_fields_for(None)] == [second.pk, first.pk]


def test_reorder_puts_the_named_fields_in_the_places_they_hold(company):
    a, b, c, d = (make_custom_field(name, Type.TEXT) for name in "ABCD")

    custom_fields_reorder(actor=company.admin, field_ids=[d.pk, b.pk])

    assert [f.name for f in custom_fields_for(None)] == ["A", "D", "C", "B"]
    with pytest.raises(InvalidRequest):
        custom_fields_reorder(actor=company.admin, field_ids=[a.pk, a.pk])
    custom_field_shift(actor=company.admin, field=c, offset=1)
    assert [f.name for f in custom_fields_for(None)] == ["A", "D", "B", "C"]


# -- options --------------------------------------------------------------------------


def test_options_are_added_renamed_reordered_archived_and_restored(admin_client, company):
    field = make_custom_field("Competitor", Type.SINGLE_CHOICE, options=("Acme", "Globex"))
    deal = make_deal(company.rep1, company.sales, custom_fields={"competitor": "acme"})
    acme = field.options.get(key="acme")

    added = admin_client.post(
        reverse("crm_admin:custom-field-option-create", args=[field.pk]),
        {"new-option-label": "Initech"},
        **HTMX,
    )
    renamed = admin_client.post(
        reverse("crm_admin:custom-field-option-edit", args=[acme.pk]),
        {f"option-{acme.pk}-label": "Acme Corp"},
        **HTMX,
    )
    initech = field.options.get(key="initech")
    admin_client.post(
        reverse("crm_admin:custom-field-option-shift", args=[initech.pk]),
        {"direction": "up"},
        **HTMX,
    )
    archived = admin_client.post(
        reverse("crm_admin:custom-field-option-archive", args=[acme.pk]), **HTMX
    )

    assert added.status_code == renamed.status_code == archived.status_code == 200
    assert "Option “Initech” added." in added.content.decode()
    assert 'id="field-options"' in renamed.content.decode()
    assert _option_labels(field) == ["Initech", "Globex"]
    # The deal keeps the archived option, under its new label.
    shown = next(f for f in custom_fields_for(company.sales.pk) if f.key == "competitor")
    assert types.display(shown, reload(deal).custom_fields["competitor"]) == "Acme Corp"
    assert "acme" not in {o.key for o in shown.active_options}
    assert "Acme Corp" in archived.content.decode()  # listed under the archived options
    entries = AuditEntry.objects.filter(object_type="pipelines.customfieldoption")
    assert sorted(entries.values_list("action", flat=True)) == [
        "archived",
        "created",
        "moved",
        "renamed",
    ]
    assert _audit(acme, "renamed").changes == {"label": ["Acme", "Acme Corp"]}

    admin_client.post(reverse("crm_admin:custom-field-option-restore", args=[acme.pk]), **HTMX)

    assert _option_labels(field) == ["Initech", "Globex", "Acme Corp"]


def test_option_refusals_say_why(admin_client, company):
    field = make_custom_field("Competitor", Type.SINGLE_CHOICE, options=("Acme",))
    acme = field.options.get()

    taken = admin_client.post(
        reverse("crm_admin:custom-field-option-create", args=[field.pk]),
        {"new-option-label": "ACME"},
        **HTMX,
    )
    last = admin_client.post(
        reverse("crm_admin:custom-field-option-archive", args=[acme.pk]), **HTMX
    )

    assert taken.status_code == 422
    assert "“ACME” is already an option of this field." in taken.content.decode()
    assert last.status_code == 400
    assert "keeps at least one option" in last.content.decode()
    with pytest.raises(InvalidRequest, match="Only choice fields"):
        custom_field_option_add(
            actor=company.admin, field=make_custom_field("Note", Type.TEXT), label="x"
        )
    custom_field_option_add(actor=company.admin, field=field, label="Globex")
    custom_field_option_archive(actor=company.admin, option=acme)
    assert _option_labels(field) == ["Globex"]


def test_option_changes_work_without_javascript(admin_client, company):
    field = make_custom_field("Competitor", Type.SINGLE_CHOICE, options=("Acme", "Globex"))

    response = admin_client.post(
        reverse("crm_admin:custom-field-option-shift", args=[field.options.get(key="globex").pk]),
        {"direction": "up"},
    )
    refused = admin_client.post(
        reverse("crm_admin:custom-field-option-create", args=[field.pk]),
        {"new-option-label": ""},
    )

    assert response.status_code == 302
    assert response.url == reverse("crm_admin:custom-field", args=[field.pk])
    assert _option_labels(field) == ["Globex", "Acme"]
    assert refused.status_code == 422
    assert "An option needs a label." in refused.content.decode()


# -- pages ----------------------------------------------------------------------------


def test_the_list_shows_all_fields_or_a_pipelines_and_helps_when_empty(
    admin_client, company, django_assert_max_num_queries
):
    empty = admin_client.get(LIST).content.decode()
    assert "No custom field yet. Add one below" in empty

    make_custom_field("Budget", Type.MONEY)
    make_custom_field("Term", Type.NUMBER, pipeline=company.sales)
    make_custom_field("Renewal date", Type.DATE, pipeline=company.private)
    make_custom_field("Old", Type.TEXT, is_archived=True)

    # session, user, pipeline of the filter, fields, pipelines of the select, history
    with django_assert_max_num_queries(7):
        response = admin_client.get(LIST, {"pipeline": company.sales.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert_no_inline_script(response)
    assert "Budget" in page
    assert "Term" in page
    assert "Renewal date" not in page
    assert "Archived fields" in page
    assert "Old" in page
    assert f'<option value="{company.sales.pk}" selected>' in page
    everything = admin_client.get(LIST).content.decode()
    assert "Renewal date" in everything


def test_the_field_page_shows_settings_options_use_and_history(
    admin_client, company, django_assert_max_num_queries
):
    field = make_custom_field("Competitor", Type.MULTIPLE_CHOICE, options=("Acme", "Globex"))
    make_deal(company.rep1, company.sales, custom_fields={"competitor": ["acme"]})
    make_item(
        company.stages[2],
        text="Competition known",
        satisfied_by="custom_field",
        custom_field=field,
        condition="filled",
    )

    # session, user, field, options, items, deals holding a value, history
    with django_assert_max_num_queries(7):
        response = admin_client.get(reverse("crm_admin:custom-field", args=[field.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<code>competitor</code>" in page
    assert "1 deal holds a value." in page
    assert "Sales › Meeting/Demo</a>: Competition known" in page
    assert 'value="Acme"' in page
    assert "Delete “Competitor”" in page


def test_the_designer_lists_its_pipelines_fields_and_the_admin_home_links_the_page(
    admin_client, company
):
    make_custom_field("Budget", Type.MONEY)
    make_custom_field("Term", Type.NUMBER, pipeline=company.sales, show_on_card=True)
    make_custom_field("Renewal date", Type.DATE, pipeline=company.private)

    designer = admin_client.get(reverse("crm_admin:pipeline", args=[company.sales.pk]))
    home = admin_client.get(reverse("crm_admin:home")).content.decode()

    page = designer.content.decode()
    section = page[page.index('id="pipeline-fields"') :]
    assert "Budget" in section
    assert "Money · all pipelines" in section
    assert "Number · on the card" in section
    assert "Renewal date" not in section
    assert f'href="{LIST}?pipeline={company.sales.pk}"' in section
    assert f'href="{LIST}"' in home
    assert "3 active · fields on deals" in home


# -- duplicating a pipeline -----------------------------------------------------------


def test_duplicating_a_pipeline_copies_its_own_fields_and_keeps_the_global_ones(company):
    sales = company.sales
    term = make_custom_field("Term", Type.NUMBER, pipeline=sales)
    competitor = make_custom_field(
        "Competitor", Type.SINGLE_CHOICE, pipeline=sales, options=("Acme", "Globex")
    )
    budget = make_custom_field("Budget confirmed", Type.YES_NO)
    make_custom_field("Unused old", Type.TEXT, pipeline=sales, is_archived=True)
    stage = company.stages[1]
    make_item(
        stage,
        satisfied_by="custom_field",
        custom_field=term,
        condition="at_least",
        condition_value="12",
    )
    make_item(
        stage,
        satisfied_by="custom_field",
        custom_field=competitor,
        condition="one_of",
        condition_value=["globex"],
    )
    make_item(stage, satisfied_by="custom_field", custom_field=budget, condition="yes")

    copy = pipeline_duplicate(actor=company.admin, pipeline=sales)

    own = {f.name: f for f in CustomField.objects.filter(pipeline=copy)}
    assert set(own) == {"Term", "Competitor"}
    assert (own["Term"].key, own["Competitor"].key) == ("term_2", "competitor_2")
    assert _option_labels(own["Competitor"]) == ["Acme", "Globex"]
    items = ChecklistItem.objects.filter(stage__pipeline=copy).order_by("position")
    assert [(i.custom_field_id, i.condition, i.condition_value) for i in items] == [
        (own["Term"].pk, "at_least", "12"),
        (own["Competitor"].pk, "one_of", ["globex"]),
        (budget.pk, "yes", None),
    ]
    for item in items:
        item.full_clean()  # each still fits its field
    assert Pipeline.objects.filter(pk=copy.pk).exists()
    assert _audit(own["Term"], "created as a copy")
    assert _audit(copy, "created as a copy").changes["custom_fields"] == 2
