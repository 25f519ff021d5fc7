"""Two processes moving deals in the same columns at once stay consistent.

Like two web processes behind one load balancer: two OS processes with their own database
connections move the same deals between the same two columns through ``deal_move``
(docs/hardening/faults.md). Afterwards both columns are dense (positions 0 … n−1) and every
change of column is in the history, exactly once.
"""

import json
import os
import subprocess
import sys

import pytest

from deals.models import Deal, StageChange
from tests.factories import make_deal
from tests.ops.servers import BASE_DIR, database_url, free_port

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

MOVES_PER_PROCESS = 40


def test_concurrent_moves_from_two_processes_keep_columns_dense_and_history_complete(
    company, tmp_path
):
    first, second = company.stages[0], company.stages[1]
    deals = [make_deal(company.rep1, company.sales, stage) for stage in (first, second) * 5]
    start = tmp_path / "start"
    env = {
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "pipelinecrm.settings_test",
        # No broker listens there: the forecast doorbells fail fast and are logged, as
        # they are when Redis is down; the dirty markers they back up are in the database.
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    movers = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.ops.mover", str(company.admin.pk), str(seed)),
                *(str(MOVES_PER_PROCESS), str(start), *(str(deal.pk) for deal in deals)),
            ],
            cwd=BASE_DIR,
            env=os.environ | env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    start.touch()
    reports = []
    for mover in movers:
        output, _ = mover.communicate(timeout=300)
        assert mover.returncode == 0
        reports.append(json.loads(output))

    assert sum(report["moves"] for report in reports) == 2 * MOVES_PER_PROCESS
    for stage in (first, second):
        positions = list(
            Deal.objects.filter(stage=stage, status=Deal.Status.OPEN)
            .order_by("position")
            .values_list("position", flat=True)
        )
        assert positions == list(range(len(positions)))
    assert Deal.objects.filter(stage__in=(first, second)).count() == len(deals)
    moved = StageChange.objects.filter(deal__in=deals, from_stage__isnull=False)
    assert moved.count() == sum(report["stage_changes"] for report in reports)
