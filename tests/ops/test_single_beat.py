"""Two beat processes started by mistake send each periodic job once per schedule.

Both run as ``celery beat`` on the test database and a redis-server of this test, with the
stall check due every 1.2 seconds and no worker, so every message either beat sends stays in
the queue to be counted. Only the beat holding the advisory lock sends; when it is killed,
the other takes over (docs/hardening/faults.md).
"""

import json
import signal
from pathlib import Path

import pytest

from pipelinecrm.beat import BEAT_LOCK_KEY
from tests.fixtures_celery import wait_for
from tests.ops.servers import RedisServer, app_environment, start_celery, stop

pytestmark = [pytest.mark.processes, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

SENT = "Sending due task flag stalled deals"
STANDING_BY = "standing by; another beat holds the beat lock"
STARTUP_TIMEOUT = 180


def _sent(log: Path) -> int:
    return log.read_text().count(SENT) if log.exists() else 0


def _standing_by(log: Path) -> bool:
    return log.exists() and STANDING_BY in log.read_text()


def _queued_stall_checks(redis_server: RedisServer) -> int:
    client = redis_server.client()
    try:
        messages = [json.loads(raw) for raw in client.lrange("celery", 0, -1)]
    finally:
        client.close()
    return sum(m["headers"]["task"] == "forecasting.tasks.flag_stalled_deals" for m in messages)


def test_only_one_of_two_beats_sends_and_the_other_takes_over_when_it_dies(tmp_path):
    assert BEAT_LOCK_KEY < 2**31  # pg_locks shows it as objid with classid 0
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    logs = [tmp_path / "beat-a.log", tmp_path / "beat-b.log"]
    beats = []
    try:
        for name, log in zip("ab", logs, strict=True):
            env = app_environment(redis_server.url, tmp_path / name, STALL_CHECK_MINUTES="0.02")
            (tmp_path / name).mkdir()
            beats.append(start_celery("beat", env, log))

        wait_for(
            lambda: any(_standing_by(log) for log in logs) and max(map(_sent, logs)) >= 3,
            timeout=STARTUP_TIMEOUT,
            what="one beat to send three stall checks while the other stands by",
        )
        leader = 0 if _sent(logs[0]) else 1
        standby = 1 - leader
        assert _sent(logs[standby]) == 0
        assert _standing_by(logs[standby])

        stop(beats[leader], signal.SIGKILL)
        sent_by_leader = _sent(logs[leader])
        wait_for(
            lambda: _sent(logs[standby]) >= 2,
            timeout=STARTUP_TIMEOUT,
            what="the standing-by beat to take over",
        )
        stop(beats[standby])
        # Every message in the queue was sent by exactly one logged send, none twice.
        assert _queued_stall_checks(redis_server) == sent_by_leader + _sent(logs[standby])
    finally:
        for beat in beats:
            stop(beat)
        redis_server.stop()
        for log in logs:
            print(log.read_text() if log.exists() else f"no {log.name}")  # shown on failure
