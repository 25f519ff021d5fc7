import time
from django.urls import reverse
from deals.models import Deal
from deals.services.imports import import_run
from tests.deals.test_import import uploaded_job, check
from pipelines.models import ChecklistItem
from tests.factories import make_item

HEADER = "Title,Value,Stage,Organization,Person,Person email,Close date,External id\n"

def test_perf(company, login):
    make_item(company.stages[1], ChecklistItem.Kind.ENTRY, text="x")
    stages = [s.name for s in company.stages]
    rows = "".join(
        f"Deal {i},{i % 97}.5k,{stages[i % 6]},Org {i % 500},Person {i % 800},p{i%800}@ex.com,2031-0{1 + i % 9}-1{i % 9},EXT-{i}\n"
        for i in range(10_000)
    )
    client = login(company.manager)
    t0 = time.monotonic()
    job = uploaded_job(client, HEADER + rows)
    t1 = time.monotonic()
    assert check(client, job, pipeline=company.sales.pk).status_code == 302
    t2 = time.monotonic()
    client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
    assert import_run(job_id=job.pk) == "done"
    t3 = time.monotonic()
    job.refresh_from_db()
    print(f"\nupload {t1-t0:.1f}s dry run {t2-t1:.1f}s run {t3-t2:.1f}s", job.created_count, job.failed_count)
    job2 = uploaded_job(client, HEADER + rows.replace(".5k,", ".7k,"))
    check(client, job2, pipeline=company.sales.pk)
    client.post(reverse("import-job", args=[job2.pk]), {"action": "start"})
    t4 = time.monotonic()
    assert import_run(job_id=job2.pk) == "done"
    t5 = time.monotonic()
    job2.refresh_from_db()
    print(f"re-import with every value changed {t5-t4:.1f}s", job2.created_count, job2.updated_count, job2.failed_count)
    assert Deal.objects.count() == 10_000
