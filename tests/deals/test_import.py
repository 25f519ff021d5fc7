"""CSV import (docs/domain/imports.md): upload, column mapping, dry run, the Celery job with its
progress bar, and the report.

What a user relies on: values read as a person writes them ("12,5k", "€1.2m", several date
formats, files from Excel in any common encoding), every bad row reported with its line
number and reason while the good rows are imported, deals created directly in their stage,
re-importing the same file never duplicating anything, stage changes on update going
through deal_move with the reason "CSV import", visibility and owner rules, a size limit,
and a real worker moving the progress bar to the end.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from deals.csv_import.files import ChunkStream, read_table, sniff_encoding, text_of
from deals.csv_import.running import import_run
from deals.csv_import.values import CellError, parse_amount, parse_date, slashed_date_order
from deals.models import (
    ChecklistCheck,
    Deal,
    DealEvent,
    ImportJob,
    Organization,
    Person,
    StageChange,
)
from pipelines.models import ChecklistItem
from tests.factories import make_deal, make_item
from tests.fixtures_celery import wait_for

ENTRY, EXIT = ChecklistItem.Kind.ENTRY, ChecklistItem.Kind.EXIT


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def upload(client, content: str | bytes, *, kind: str = "deals", name: str = "deals.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        reverse("import"), {"kind": kind, "file": SimpleUploadedFile(name, raw, "text/csv")}
    )


def uploaded_job(client, content, **kwargs) -> ImportJob:
    response = upload(client, content, **kwargs)
    assert response.status_code == 302, _text(response)
    return ImportJob.objects.latest("pk")


def check(client, job: ImportJob, **form):
    """Post the mapping as guessed (plus ``form``) and run the dry run."""
    data = {f"map_{name}": str(index) for name, index in job.mapping.items()}
    data |= {
        "action": "check",
        "delimiter": {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}[job.delimiter],
        "decimal_separator": job.options.get("decimal_separator", "."),
    }
    data |= {key: str(value) for key, value in form.items()}
    return client.post(reverse("import-job", args=[job.pk]), data)


def run_now(client, job: ImportJob) -> ImportJob:
    """Start the job as the page does, then run it here (the worker test runs it for real)."""
    response = client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
    assert response.status_code == 302, _text(response)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert import_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    return job


def import_file(client, content, pipeline=None, **form) -> ImportJob:
    job = uploaded_job(client, content)
    if pipeline is not None:
        form["pipeline"] = pipeline.pk
    response = check(client, job, **form)
    assert response.status_code == 302, _text(response)
    job.refresh_from_db()
    return run_now(client, job)


# -- reading values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("12,5k", ",", Decimal("12500.00")),
        ("€1.2m", ".", Decimal("1200000.00")),
        ("1.234,56", ",", Decimal("1234.56")),
        ("1,234.56", ".", Decimal("1234.56")),
        ("EUR 1 500", ".", Decimal("1500.00")),
        ("1 500,50 €", ",", Decimal("1500.50")),
        ("$3K", ".", Decimal("3000.00")),
        ("2500 USD", ".", Decimal("2500.00")),
        ("1'000'000", ".", Decimal("1000000.00")),
        ("0", ".", Decimal("0.00")),
        ("", ".", None),
    ],
)
def test_amounts_are_read_as_people_write_them(text, separator, expected):
    assert parse_amount(text, separator) == expected


@pytest.mark.parametrize(
    ("text", "separator", "message"),
    [
        ("12,5", ".", "is the decimal separator “,”?"),
        ("1.2.3", ".", "does not read as an amount"),
        ("-500", ".", "cannot be negative"),
        ("lots", ".", "is not an amount"),
        ("2000000m", ".", "too large"),
    ],
)
def test_amounts_that_cannot_be_read_are_refused_not_guessed(text, separator, message):
    with pytest.raises(CellError, match=re.escape(message)):
        parse_amount(text, separator)


def test_dates_in_several_formats_and_slashed_dates_by_column():
    assert parse_date("2025-03-31") == datetime.date(2025, 3, 31)
    assert parse_date("2025/03/31") == datetime.date(2025, 3, 31)
    assert parse_date("31.03.2025") == datetime.date(2025, 3, 31)
    assert parse_date("31 Mar 2025") == datetime.date(2025, 3, 31)
    assert parse_date("03/04/2025") == datetime.date(2025, 4, 3)  # day first by default
    assert parse_date("03/04/2025", "mdy") == datetime.date(2025, 3, 4)
    # A column is month first only when some date fits no other way and none contradicts.
    assert slashed_date_order(["03/04/2025", "03/25/2025"]) == "mdy"
    assert slashed_date_order(["03/04/2025", "25/03/2025"]) == "dmy"
    assert slashed_date_order(["25/03/2025", "03/25/2025"]) == "dmy"
    assert slashed_date_order(["03/04/2025"]) == "dmy"
    with pytest.raises(CellError, match="is not a date that exists"):
        parse_date("31.02.2025")
    with pytest.raises(CellError, match="is not a date"):
        parse_date("next Tuesday")


def decode(raw: bytes, chunk_bytes: int = 3):
    """Sniff and read ``raw`` as an upload does: in small chunks, so that characters and
    BOMs are split across them."""
    chunks = [raw[i : i + chunk_bytes] for i in range(0, len(raw), chunk_bytes)]
    encoding = sniff_encoding(chunks)
    stream = ChunkStream(lambda index: chunks[index] if index < len(chunks) else None)
    encoding.text = text_of(stream, encoding.codec).read()
    return encoding


def test_encodings_utf8_with_and_without_bom_utf16_and_a_fallback_with_a_notice():
    assert decode("Title\nCafé".encode()).label == "UTF-8"
    with_bom = decode("\ufeffTitle\nCafé".encode())
    assert with_bom.label == "UTF-8 with BOM"
    assert with_bom.text == "Title\nCafé"
    assert decode("Title\nCafé".encode("utf-16")).text == "Title\nCafé"
    windows = decode("Title\nCafé Müller – “quoted”".encode("cp1252"))
    assert windows.text == "Title\nCafé Müller – “quoted”"
    assert windows.label == "Windows-1252"
    assert "first non-UTF-8 byte on line 2" in windows.notice
    latin = decode(b"Title\n\x81\xe9")  # 0x81 is undefined in Windows-1252
    assert latin.label.startswith("Latin-1")


def test_lines_are_counted_in_the_file_even_with_quoted_line_breaks_and_blank_lines():
    table = read_table('Title,Notes\nA,"two\nlines"\n\nB,x\n', ",")
    assert table.header == ["Title", "Notes"]
    assert [line for line, _ in table.rows] == [2, 5]


# -- the happy path -------------------------------------------------------------------------------


HAPPY = """Title,Value,Stage,Organization,Contact,Contact email,Close date,External id
Acme expansion,"12,5k",Proposal,Acme,Jane Doe,jane@acme.example,31.03.2031,A-1
Globex pilot,€1.500,Prospecting,Globex,,,2031-04-15,A-2
Initech renewal,900,,acme,John Roe,,15/04/2031,A-3
"""


def test_a_rep_imports_deals_directly_into_their_stages(company, login):
    required_entry = make_item(company.stages[3], ENTRY, text="Proposal approved")
    existing = make_deal(company.rep1, company.sales, title="Already here")
    client = login(company.rep1)

    job = import_file(client, HAPPY, pipeline=company.sales, decimal_separator=",")

    assert (job.created_count, job.updated_count, job.failed_count) == (3, 0, 0)
    assert job.done == job.total == 3
    acme, globex, initech = (Deal.objects.get(external_id=key) for key in ("A-1", "A-2", "A-3"))
    assert acme.stage == company.stages[3]
    assert acme.value == Decimal("12500.00")
    assert acme.expected_close_date == datetime.date(2031, 3, 31)
    assert acme.owner == company.rep1
    assert acme.organization.name == "Acme"
    assert acme.person.name == "Jane Doe"
    assert acme.person.email == "jane@acme.example"
    assert acme.person.organization == acme.organization
    assert globex.value == Decimal("1500.00")
    assert globex.stage == company.stages[0]
    assert initech.stage == company.stages[0]  # no stage: the pipeline's first
    assert initech.organization == acme.organization  # "acme" is Acme
    assert initech.expected_close_date == datetime.date(2031, 4, 15)
    assert Organization.objects.count() == 2
    # Directly in the stage: no checklist applied, an initial stage change, an "imported" event.
    assert not ChecklistCheck.objects.filter(item=required_entry).exists()
    change = StageChange.objects.get(deal=acme)
    assert (change.from_stage, change.to_stage, change.user) == (None, acme.stage, company.rep1)
    assert DealEvent.objects.get(deal=acme).kind == DealEvent.Kind.IMPORTED
    # At the bottom of their column, in file order, under the cards already there.
    existing.refresh_from_db()
    assert (existing.position, globex.position, initech.position) == (0, 1, 2)


def test_the_mapping_page_previews_the_first_rows_and_guesses_the_columns(company, login):
    client = login(company.rep1)
    job = uploaded_job(client, HAPPY)

    page = client.get(reverse("import-job", args=[job.pk]))

    text = _text(page)
    assert "Acme expansion" in text
    assert "Initech renewal" in text
    assert job.mapping == {
        "title": 0,
        "value": 1,
        "stage": 2,
        "organization": 3,
        "person": 4,
        "person_email": 5,
        "expected_close_date": 6,
        "external_id": 7,
    }
    assert job.options["decimal_separator"] == ","  # "12,5k" and no "12.50" in the values
    assert job.encoding == "UTF-8"


def test_the_users_mapping_wins_over_the_guess(company, login):
    client = login(company.rep1)
    job = uploaded_job(client, "Title,Amount,Budget\nA,1,2\n")
    assert job.mapping["value"] == 1

    job = import_file(client, "Title,Amount,Budget\nA,1,2\n", pipeline=company.sales, map_value=2)

    assert job.mapping == {"title": 0, "value": 2}
    assert Deal.objects.get().value == Decimal("2.00")


def test_the_dry_run_lists_bad_rows_by_line_and_saves_nothing(company, login, price):
    content = (
        "Title,Value,Stage,Close date,Status,Lost reason,Pipeline\n"
        "Good one,100,Proposal,2031-01-01,,,Sales\n"  # line 2
        ",200,,,,,Sales\n"  # 3: no title
        "Bad value,12abc,,,,,Sales\n"  # 4
        "Bad stage,300,Closing,,,,Sales\n"  # 5
        "Bad date,300,,31.02.2031,,,Sales\n"  # 6
        "Bad status,300,,,maybe,,Sales\n"  # 7
        "Lost no reason,300,,,lost,,Sales\n"  # 8
        "Unknown pipeline,300,,,,,Nope\n"  # 9
        "Too wide,300,,,,,Sales,extra\n"  # 10
        "Lost fine,300,,,lost,price,Sales\n"  # 11
    )
    client = login(company.rep1)
    job = uploaded_job(client, content)

    response = check(client, job)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    reasons = {row["line"]: row["reason"] for row in job.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert reasons[3] == "The title is empty."
    assert "“12abc” is not an amount." in reasons[4]
    assert (
        "“Closing” is not a stage of Sales (its stages: Prospecting, Qualification" in (reasons[5])
    )
    assert "“31.02.2031” is not a date that exists." in reasons[6]
    assert "Status “maybe” is not open, won or lost." in reasons[7]
    assert "A lost deal needs a lost reason" in reasons[8]
    assert "There is no pipeline “Nope” (pipelines: " in reasons[9]
    assert "It has 8 cells but the header names 7 columns." in reasons[10]
    assert job.options["dry_run"] == {"create": 2, "update": 0, "failed": 8}
    assert not Deal.objects.exists()
    page = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "2 would be created, 0 would update existing records, 8 cannot be imported" in page
    assert "The title is empty." in page

    # The run imports the good rows and reports the bad ones with the same lines.
    job = run_now(client, job)
    assert (job.created_count, job.failed_count) == (2, 8)
    assert sorted(row["line"] for row in job.errors) == sorted(reasons)
    assert set(Deal.objects.values_list("title", "status")) == {
        ("Good one", "open"),
        ("Lost fine", "lost"),
    }
    report = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "Rows not imported" in report
    assert "“Closing” is not a stage of Sales" in report


def test_missing_required_columns_are_refused_at_the_mapping_step(company, login):
    client = login(company.rep1)
    job = uploaded_job(client, "Amount,Company\n100,Acme\n")

    response = check(client, job)

    assert response.status_code == 422
    text = _text(response)
    assert "Choose the column that holds the Title." in text
    assert "Choose a pipeline, or the column that names each row&#x27;s pipeline." in text or (
        "Choose a pipeline, or the column that names each row's pipeline." in text
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_a_malformed_file_is_refused_with_the_line_to_look_at(company, login):
    client = login(company.rep1)
    response = upload(client, 'Title,Value\nGood,1\n"Unclosed quote,2\nMore,3\n')
    assert response.status_code == 422
    assert "the row starting on line 3 cannot be read" in _text(response)
    assert not ImportJob.objects.exists()

    for content, message in (
        (b"PK\x03\x04binary", "looks like an Excel workbook"),
        (b"", "The submitted file is empty."),
        (b"\n\n", "The file is empty."),
        (b"Title\n", "The file has a header but no rows."),
        (b"Title\x00,x\nA,b\n", "NUL bytes"),
    ):
        assert message in _text(upload(client, content))


def test_a_windows_file_is_read_with_a_notice(company, login):
    client = login(company.rep1)
    content = "Title;Organization;Value\nCafé Müller;Société Générale;1.234,50\n"

    job = import_file(
        client, content.encode("cp1252"), pipeline=company.sales, decimal_separator=","
    )

    assert job.encoding == "Windows-1252"
    assert job.delimiter == ";"
    deal = Deal.objects.get()
    assert deal.title == "Café Müller"
    assert deal.organization.name == "Société Générale"
    assert deal.value == Decimal("1234.50")
    page = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "The file is not UTF-8" in page


def test_month_first_dates_are_recognised_for_the_whole_column(company, login):
    client = login(company.rep1)
    content = "Title,Close date\nA,03/04/2031\nB,03/25/2031\n"

    job = import_file(client, content, pipeline=company.sales)

    assert job.options["date_order"] == "mdy"
    assert Deal.objects.get(title="A").expected_close_date == datetime.date(2031, 3, 4)
    assert Deal.objects.get(title="B").expected_close_date == datetime.date(2031, 3, 25)


# -- importing again ------------------------------------------------------------------------


def test_importing_the_same_file_twice_creates_nothing_new(company, login):
    client = login(company.rep1)
    import_file(client, HAPPY, pipeline=company.sales, decimal_separator=",")
    versions = dict(Deal.objects.values_list("pk", "version"))

    again = import_file(client, HAPPY, pipeline=company.sales, decimal_separator=",")

    assert (again.created_count, again.updated_count, again.failed_count) == (0, 3, 0)
    assert {row["outcome"] for row in again.results} == {"unchanged"}
    assert Deal.objects.count() == 3
    assert Organization.objects.count() == 2
    assert Person.objects.count() == 2
    assert dict(Deal.objects.values_list("pk", "version")) == versions


def test_a_known_external_id_updates_the_deal_and_moves_it_through_deal_move(company, login):
    blocking = make_item(company.stages[0], EXIT, text="Budget confirmed")
    deal = make_deal(company.rep1, company.sales, title="Acme", external_id="A-1")
    client = login(company.manager)  # rep1's manager, who opts in to the override

    job = import_file(
        client,
        "External id,Title,Value,Stage\nA-1,Acme Group,5000,Qualification\n",
        pipeline=company.sales,
        override_checklist="on",
    )

    assert (job.created_count, job.updated_count, job.failed_count) == (0, 1, 0)
    deal.refresh_from_db()
    assert deal.title == "Acme Group"
    assert deal.value == Decimal("5000.00")
    assert deal.stage == company.stages[1]
    move = StageChange.objects.get(deal=deal, to_stage=company.stages[1])
    assert move.override_reason == "CSV import"
    assert list(move.overridden_items.all()) == [blocking]
    assert move.user == company.manager
    moved = DealEvent.objects.get(deal=deal, kind=DealEvent.Kind.MOVED)
    assert moved.data["override_reason"] == "CSV import"
    edited = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED)
    assert {e.data["field"] for e in edited} == {"title", "value"}


def test_without_external_id_title_organization_and_pipeline_find_the_deal(company, login):
    acme = Organization.objects.create(name="Acme")
    deal = make_deal(company.rep1, company.sales, title="Expansion", organization=acme)
    other_org = make_deal(company.rep1, company.sales, title="Expansion")
    client = login(company.rep1)

    job = import_file(
        client,
        "Title,Organization,Value\nexpansion,ACME,777\nNew deal,Acme,1\n",
        pipeline=company.sales,
    )

    assert (job.created_count, job.updated_count) == (1, 1)
    deal.refresh_from_db()
    assert deal.value == Decimal("777.00")
    other_org.refresh_from_db()
    assert other_org.value == Decimal("1000.00")
    assert Deal.objects.count() == 3


def test_two_matching_deals_make_a_row_ambiguous_rather_than_guessed(company, login):
    make_deal(company.rep1, company.sales, title="Twin")
    make_deal(company.rep1, company.sales, title="Twin")
    client = login(company.rep1)
    job = uploaded_job(client, "Title,Value\nTwin,5\n")
    check(client, job, pipeline=company.sales.pk)
    job.refresh_from_db()
    assert "2 of your deals are called “Twin”" in job.errors[0]["reason"]


def test_status_columns_close_and_reopen_deals(company, login, price):
    open_deal = make_deal(company.rep1, company.sales, title="To lose", external_id="L-1")
    client = login(company.rep1)
    content = "External id,Title,Status,Lost reason\nL-1,To lose,lost,Price\nW-1,Won at once,won,\n"

    import_file(client, content, pipeline=company.sales)

    open_deal.refresh_from_db()
    assert open_deal.status == Deal.Status.LOST
    assert open_deal.lost_reason == price
    won = Deal.objects.get(external_id="W-1")
    assert won.status == Deal.Status.WON

    import_file(client, "External id,Status\nL-1,open\n", pipeline=company.sales)
    open_deal.refresh_from_db()
    assert open_deal.status == Deal.Status.OPEN


# -- who imports what ----------------------------------------------------------------------


def test_reps_import_deals_they_own_whatever_an_owner_column_says(company, login):
    client = login(company.rep1)
    job = uploaded_job(client, "Title,Owner\nA,rep2\n")

    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert 'name="map_owner"' not in page
    assert "The deals you import are yours." in page
    checked = check(client, job, pipeline=company.sales.pk, map_owner=1)  # a crafted post
    assert checked.status_code == 302, _text(checked)
    job.refresh_from_db()
    assert "owner" not in job.mapping
    run_now(client, job)

    assert Deal.objects.get().owner == company.rep1


def test_managers_import_for_users_whose_deals_they_can_edit(company, login):
    client = login(company.manager)
    content = "Title,Owner\nFor rep1,rep1\nFor rep2,rep2@example.com\nFor rep3,rep3\nMine,\n"

    job = import_file(client, content, pipeline=company.sales)

    owners = dict(Deal.objects.values_list("title", "owner__username"))
    assert owners == {"For rep1": "rep1", "For rep2": "rep2", "Mine": "manager"}
    assert job.errors[0]["line"] == 4
    assert "You may not import deals for Rep3 Test" in job.errors[0]["reason"]


def test_an_import_is_its_importers_alone(company, login):
    job = uploaded_job(login(company.rep1), HAPPY)
    other = login(company.rep2)
    assert other.get(reverse("import-job", args=[job.pk])).status_code == 404
    assert other.get(reverse("import-progress", args=[job.pk])).status_code == 404


def test_organizations_and_people_files(company, login):
    Organization.objects.create(name="Acme")
    client = login(company.rep1)

    organizations = uploaded_job(
        client, "Company,Website\nacme,acme.example\nGlobex,globex.example\n", kind="organizations"
    )
    check(client, organizations)
    organizations = run_now(client, organizations)
    people = uploaded_job(
        client,
        "Name,Email,Company\nJane,jane@acme.example,Acme\nJohn,not-an-email,Initech\n",
        kind="people",
    )
    check(client, people)
    people = run_now(client, people)

    assert (organizations.created_count, organizations.updated_count) == (1, 1)
    assert Organization.objects.get(name="Acme").domain == "acme.example"
    assert (people.created_count, people.failed_count) == (1, 1)
    assert people.errors[0] == {"line": 3, "reason": "“not-an-email” is not an email address."}
    assert Person.objects.get().organization.name == "Acme"


def test_a_file_over_the_limit_is_refused_with_a_clear_message(company, login, settings):
    settings.IMPORT_MAX_MB = 1
    content = "Title,Value\n" + "A deal with a long enough title,100\n" * 31_000  # ~1.1 MB

    response = upload(login(company.rep1), content)

    assert response.status_code == 413
    assert "the limit is 1 MB" in _text(response)
    assert not ImportJob.objects.exists()


def test_a_job_delivered_again_resumes_after_its_last_committed_batch(company, login, settings):
    settings.IMPORT_BATCH_ROWS = 2
    client = login(company.rep1)
    job = uploaded_job(client, "Title\n" + "".join(f"Deal {n}\n" for n in range(1, 6)))
    check(client, job, pipeline=company.sales.pk)
    client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
    # A worker died after committing the first batch: the job is still "running".
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, done=2)

    assert import_run(job_id=job.pk) == "done"
    assert import_run(job_id=job.pk) == "gone"  # a duplicate delivery does nothing

    job.refresh_from_db()
    assert job.done == job.total == 5
    assert sorted(Deal.objects.values_list("title", flat=True)) == ["Deal 3", "Deal 4", "Deal 5"]
    assert [row["line"] for row in job.results] == [4, 5, 6]


def test_a_failed_job_can_be_resumed_from_the_page(company, login):
    client = login(company.rep1)
    job = uploaded_job(client, "Title\nOne\nTwo\n")
    check(client, job, pipeline=company.sales.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED, done=1, message="The import stopped unexpectedly."
    )

    page = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "The import stopped unexpectedly." in page
    assert "Resume from row 2" in page
    resumed = client.post(reverse("import-job", args=[job.pk]), {"action": "resume"})
    assert resumed.status_code == 302
    assert import_run(job_id=job.pk) == "done"
    assert list(Deal.objects.values_list("title", flat=True)) == ["Two"]


# -- the job on a real worker, and its progress bar ------------------------------------------------


@pytest.mark.celery
def test_a_real_worker_runs_the_import_and_the_progress_bar_follows_it(
    company, login, celery_worker, settings
):
    settings.IMPORT_BATCH_ROWS = 5
    rows = "".join(f"Deal {index},{index}00,EXT-{index}\n" for index in range(60))
    client = login(company.rep1)
    job = uploaded_job(client, "Title,Value,External id\n" + rows)
    check(client, job, pipeline=company.sales.pk)

    started = client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
    assert started.status_code == 302
    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("import-progress", args=[job.pk])}"' in page
    assert 'hx-trigger="every 1s"' in page

    seen: list[int] = []

    def finished() -> bool:
        fragment = client.get(reverse("import-progress", args=[job.pk])).content.decode()
        bar = re.search(r'<progress[^>]*max="(\d+)" value="(\d+)"', fragment)
        assert bar is not None
        assert bar[1] == "60"
        seen.append(int(bar[2]))
        return 'hx-trigger="every 1s"' not in fragment  # polling stops once done

    wait_for(finished, timeout=60, what="the import to finish")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.done == job.total == 60
    assert seen == sorted(seen)  # the bar only moves forward
    assert seen[-1] == 60
    assert all(value % 5 == 0 for value in seen)  # committed batch by batch
    assert Deal.objects.filter(external_id__startswith="EXT-").count() == 60
    report = _text(client.get(reverse("import-job", args=[job.pk])))
    assert "60 of 60 rows (100 %)" in report
    assert "60 created" in report
