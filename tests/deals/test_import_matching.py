"""What an import row matches (issue 12 §4, docs/hardening/imports.md): external ids are
unique per owner, so an id used by a deal the importer cannot see answers exactly as an
unknown id, on import and on API create; people match by email, else by name *and*
organization."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from deals.models import Deal, Organization, Person
from deals.services.handover import user_offboard
from tests.deals.test_import import _text, check, import_file, run_now, uploaded_job
from tests.factories import make_deal, reload

pytestmark = pytest.mark.django_db


# -- external ids -----------------------------------------------------------------------------


def test_an_invisible_deals_external_id_answers_as_an_unknown_one_in_the_dry_run_and_the_run(
    company, login
):
    secret = make_deal(company.rep3, company.sales, title="South secret", external_id="S-1")
    client = login(company.rep1)
    job = uploaded_job(client, "External id,Title\nS-1,Mine\nNEVER-USED,Also mine\n")

    check(client, job, pipeline=company.sales.pk)

    job.refresh_from_db()
    assert job.errors == []
    assert job.options["dry_run"] == {"create": 2, "update": 0, "failed": 0}
    page = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "2 would be created, 0 would update existing records, 0 cannot be imported" in page
    assert "South secret" not in page

    job = run_now(client, job)

    assert (job.created_count, job.updated_count, job.failed_count) == (2, 0, 0)
    mine = Deal.objects.get(owner=company.rep1, external_id="S-1")
    assert mine.title == "Mine"
    assert reload(secret).title == "South secret"


def test_a_teammates_deal_the_importer_only_sees_is_not_updated_either(company, login):
    """rep1 sees rep2's deals on a team pipeline, read-only: the row makes rep1's own deal."""
    teammate = make_deal(company.rep2, company.sales, title="Rep2's", external_id="T-1")

    job = import_file(login(company.rep1), "External id,Title\nT-1,Rep1's\n", company.sales)

    assert (job.created_count, job.failed_count) == (1, 0)
    assert reload(teammate).title == "Rep2's"
    assert Deal.objects.filter(external_id="T-1").count() == 2


def test_api_create_with_an_invisible_deals_external_id_answers_as_with_a_new_one(company, api):
    make_deal(company.rep3, company.sales, title="South secret", external_id="S-1")
    api = api(company.rep1)
    body = {"title": "Mine", "pipeline": company.sales.pk, "stage": company.stages[0].pk}

    taken_elsewhere = api.post("/api/v1/deals/", body | {"external_id": "S-1"}, format="json")
    unknown = api.post("/api/v1/deals/", body | {"external_id": "NEW-1"}, format="json")

    assert taken_elsewhere.status_code == unknown.status_code == 201
    assert taken_elsewhere.json()["owner"] == company.rep1.pk
    # The importer's own deal with that id is visible to them: that clash is explained.
    again = api.post("/api/v1/deals/", body | {"external_id": "S-1"}, format="json")
    assert again.status_code == 400
    assert "already has a deal with this external id" in str(again.json())
    assert Deal.objects.filter(external_id="S-1").count() == 2


def test_a_reassignment_that_would_clash_is_refused_with_a_clear_message(company, api):
    deal = make_deal(company.rep1, company.sales, title="Rep1's", external_id="X-1")
    make_deal(company.rep2, company.sales, title="Rep2's", external_id="X-1")

    answer = api(company.manager).patch(
        f"/api/v1/deals/{deal.pk}/", {"version": deal.version, "owner": company.rep2.pk}
    )

    assert answer.status_code == 400
    assert "already has a deal with external id “X-1”" in answer.json()["errors"]["owner"][0]
    assert reload(deal).owner == company.rep1


def test_a_hand_over_that_would_clash_is_refused_with_a_clear_message(company):
    make_deal(company.rep1, company.sales, title="Rep1's", external_id="X-1")
    make_deal(company.rep2, company.sales, title="Rep2's", external_id="X-1")

    with pytest.raises(ValidationError) as refusal:
        user_offboard(actor=company.admin, user=company.rep1, deals_to=company.rep2)

    assert "X-1" in refusal.value.message_dict["deals_to"][0]
    company.rep1.refresh_from_db()
    assert company.rep1.is_active  # nothing happened


def test_a_managers_row_picks_among_team_deals_sharing_an_id_by_the_owner_column(company, login):
    rep1s = make_deal(company.rep1, company.sales, title="Rep1's", external_id="X-1")
    rep2s = make_deal(company.rep2, company.sales, title="Rep2's", external_id="X-1")
    client = login(company.manager)

    job = import_file(
        client, "External id,Title,Owner\nX-1,Rep2 renamed,rep2\nX-1,Who,\n", company.sales
    )

    assert (job.updated_count, job.failed_count) == (1, 1)
    assert reload(rep2s).title == "Rep2 renamed"
    assert reload(rep1s).title == "Rep1's"
    assert "Several deals you may edit have the external id “X-1”" in job.errors[0]["reason"]


# -- people ---------------------------------------------------------------------------------


def test_people_match_by_email_else_by_name_and_organization_never_by_name_alone(company, login):
    acme = Organization.objects.create(name="Acme")
    anna_at_acme = Person.objects.create(name="Anna Schmidt", organization=acme)
    emailed = Person.objects.create(name="Bo", email="bo@example.com")
    client = login(company.rep1)
    job = uploaded_job(
        client,
        "Name,Email,Company,Phone\n"
        "Anna Schmidt,,Globex,1\n"  # another Anna: another organization
        "Anna Schmidt,,,2\n"  # another Anna: no organization
        "anna schmidt,,ACME,3\n"  # the Anna at Acme
        "Bo Renamed,BO@example.com,,4\n",  # the email decides
        kind="people",
    )
    check(client, job)

    job = run_now(client, job)

    assert (job.created_count, job.updated_count) == (2, 2)
    annas = Person.objects.filter(name="Anna Schmidt")
    assert sorted((p.organization.name if p.organization else "", p.phone) for p in annas) == [
        ("", "2"),
        ("Acme", "3"),
        ("Globex", "1"),
    ]
    assert reload_person(anna_at_acme).phone == "3"
    assert reload_person(emailed).phone == "4"


def test_a_deal_rows_contact_is_matched_by_name_and_organization(company, login):
    acme = Organization.objects.create(name="Acme")
    anna_at_acme = Person.objects.create(name="Anna Schmidt", organization=acme)

    import_file(
        login(company.rep1),
        "Title,Contact,Organization\nAt Acme,Anna Schmidt,Acme\nAt Globex,Anna Schmidt,Globex\n",
        company.sales,
    )

    assert Deal.objects.get(title="At Acme").person == anna_at_acme
    other = Deal.objects.get(title="At Globex").person
    assert other != anna_at_acme
    assert other.organization.name == "Globex"


def reload_person(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)
