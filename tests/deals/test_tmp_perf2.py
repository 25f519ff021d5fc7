import cProfile, pstats, time
from collections import Counter
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from deals.services.imports import import_run
from tests.deals.test_import import uploaded_job, check
from tests.deals.test_tmp_perf import HEADER

def test_perf(company, login):
    stages = [s.name for s in company.stages]
    rows = "".join(
        f"Deal {i},{i % 97}.5k,{stages[i % 6]},Org {i % 500},Person {i % 800},p{i%800}@ex.com,2031-0{1 + i % 9}-1{i % 9},EXT-{i}\n"
        for i in range(500)
    )
    client = login(company.manager)
    for n, content in enumerate((rows, rows.replace(".5k,", ".7k,"))):
        job = uploaded_job(client, HEADER + content)
        check(client, job, pipeline=company.sales.pk)
        client.post(reverse("import-job", args=[job.pk]), {"action": "start"})
        with CaptureQueriesContext(connection) as q:
            t = time.monotonic()
            import_run(job_id=job.pk)
            print("\nrun", n, time.monotonic() - t, len(q))
        c = Counter(x["sql"][:70] for x in q.captured_queries)
        for k, v in c.most_common(22): print(v, k)
