"""CSV import follows the checklist gate (issue 12 §1, docs/hardening/imports.md): a rep's
row that moves or wins a deal past missing required items fails and changes nothing;
managers and admins may opt in to override with the reason "CSV import"."""

import pytest
from django.urls import reverse

from deals.csv_import.running import import_run
from deals.models import Deal, DealEvent, StageChange
from pipelines.models import ChecklistItem
from tests.deals.test_import import _text, check, import_file, uploaded_job
from tests.factories import make_deal, make_item, reload

EXIT = ChecklistItem.Kind.EXIT

pytestmark = pytest.mark.django_db


def test_a_reps_row_that_moves_a_deal_past_missing_items_fails_and_changes_nothing(company, login):
    make_item(company.stages[0], EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, title="Acme", external_id="A-1")
    other = make_deal(company.rep1, company.sales, title="Globex", external_id="G-1")
    client = login(company.rep1)

    job = import_file(
        client,
        "External id,Title,Value,Stage\n"
        "A-1,Acme Group,5000,Qualification\n"
        "G-1,Globex,7000,\n",  # no stage change: imported as usual
        pipeline=company.sales,
    )

    assert (job.updated_count, job.failed_count) == (1, 1)
    assert job.errors[0]["line"] == 2
    assert "Budget confirmed" in job.errors[0]["reason"]
    after = reload(deal)
    # The row's savepoint rolled back its field edits too, not only the move.
    assert (after.title, after.value, after.stage) == ("Acme", deal.value, company.stages[0])
    assert after.version == deal.version
    assert not StageChange.objects.filter(deal=deal, to_stage=company.stages[1]).exists()
    assert not DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED).exists()
    assert reload(other).value == 7000
    report = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "Rows not imported" in report
    assert "Budget confirmed" in report


def test_a_reps_won_row_needs_the_exit_items_even_for_a_new_deal(company, login):
    make_item(company.stages[0], EXIT, text="Contract signed")
    client = login(company.rep1)

    job = import_file(client, "Title,Status\nWon at once,won\n", pipeline=company.sales)

    assert job.failed_count == 1
    assert "Contract signed" in job.errors[0]["reason"]
    assert not Deal.objects.exists()  # the created deal went with the row's savepoint


def test_creating_a_deal_directly_in_a_later_stage_needs_no_checklist(company, login):
    make_item(company.stages[0], EXIT, text="Budget confirmed")
    make_item(company.stages[2], ChecklistItem.Kind.ENTRY, text="Demo booked")
    client = login(company.rep1)

    job = import_file(client, "Title,Stage\nNew,Meeting/Demo\n", pipeline=company.sales)

    assert (job.created_count, job.failed_count) == (1, 0), job.errors
    assert Deal.objects.get().stage == company.stages[2]


def test_reps_are_not_offered_the_override_and_a_crafted_post_is_ignored(company, login):
    make_item(company.stages[0], EXIT, text="Budget confirmed")
    make_deal(company.rep1, company.sales, title="Acme", external_id="A-1")
    client = login(company.rep1)
    job = uploaded_job(client, "External id,Stage\nA-1,Qualification\n")

    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert 'name="override_checklist"' not in page
    check(client, job, pipeline=company.sales.pk, override_checklist="on")
    job.refresh_from_db()
    assert not job.options.get("override_checklist")
    client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
    import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.failed_count == 1
    assert Deal.objects.get().stage == company.stages[0]


def test_managers_override_only_when_they_opt_in_and_it_is_recorded(company, login):
    item = make_item(company.stages[0], EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, title="Acme", external_id="A-1")
    client = login(company.manager)
    content = "External id,Stage\nA-1,Qualification\n"

    page = client.get(reverse("import-job", args=[uploaded_job(client, content).pk]))
    assert 'name="override_checklist"' in page.content.decode()
    assert "checked" not in page.content.decode().split('name="override_checklist"')[1][:40]
    without = import_file(client, content, pipeline=company.sales)
    assert without.failed_count == 1
    assert reload(deal).stage == company.stages[0]

    opted_in = import_file(client, content, pipeline=company.sales, override_checklist="on")

    assert (opted_in.updated_count, opted_in.failed_count) == (1, 0)
    assert reload(deal).stage == company.stages[1]
    move = StageChange.objects.get(deal=deal, to_stage=company.stages[1])
    assert move.override_reason == "CSV import"
    assert list(move.overridden_items.all()) == [item]
    assert move.user == company.manager


def test_an_importer_demoted_after_opting_in_no_longer_overrides(company, login):
    """The override is decided when the rows run, by the importer's role then."""
    make_item(company.stages[0], EXIT, text="Budget confirmed")
    deal = make_deal(company.manager, company.sales, title="Acme", external_id="A-1")
    client = login(company.manager)
    job = uploaded_job(client, "External id,Stage\nA-1,Qualification\n")
    check(client, job, pipeline=company.sales.pk, override_checklist="on")
    job.refresh_from_db()
    assert job.options["override_checklist"] is True
    client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
    type(company.manager).objects.filter(pk=company.manager.pk).update(role="rep")

    import_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.failed_count == 1
    assert "Budget confirmed" in job.errors[0]["reason"]
    assert reload(deal).stage == company.stages[0]
