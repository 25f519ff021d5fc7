"""One beat sends the periodic jobs, however many are running (docs/hardening/faults.md).

Two beat processes started by mistake (a second replica, ``make run`` beside Compose) would
each send every job on its schedule. Before each tick a beat asks PostgreSQL for a
session-level advisory lock; only the holder sends, the others stand by and take over once
the holder's session ends (the process died or lost its database connection). A lock tied to
a session needs no expiry to tune: PostgreSQL releases it the moment its holder is gone.
SQLite (the embedded defaults, where ``make run`` starts exactly one beat) has no such lock,
so there every beat leads.
"""

import logging

from celery.beat import PersistentScheduler
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# Fixed and arbitrary: the advisory lock every beat of this application asks for ("CRMB").
BEAT_LOCK_KEY = 0x43524D42
# How often a standing-by beat asks again whether the lock is free.
STANDBY_POLL_SECONDS = 5.0

# Re-entrant by design: a holder asks again every tick, so it checks pg_locks first rather
# than stacking another level of the same lock (CASE evaluates its branches in order).
_HOLD_SQL = """
SELECT CASE
    WHEN EXISTS (
        SELECT FROM pg_locks
        WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
          AND classid = 0 AND objid = %s AND objsubid = 1
    ) THEN true
    ELSE pg_try_advisory_lock(%s)
END
"""


def beat_lock_hold() -> bool:
    """Hold the beat lock (take it if free); False if another beat holds it.

    A database error counts as not holding it: the connection is dropped, so the next tick
    starts a fresh session and asks again.
    """
    if connection.vendor != "postgresql":
        return True
    try:
        with connection.cursor() as cursor:
            cursor.execute(_HOLD_SQL, [BEAT_LOCK_KEY, BEAT_LOCK_KEY])
            return bool(cursor.fetchone()[0])
    except DatabaseError:
        logger.warning("beat: cannot reach the database to check the beat lock", exc_info=True)
        connection.close()
        return False


class SingleBeatScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, sending only while this beat holds the lock."""

    leading: bool | None = None

    def tick(self, *args, **kwargs) -> float:
        if beat_lock_hold():
            if not self.leading:
                logger.info("beat: holding the beat lock; sending periodic jobs")
            self.leading = True
            return super().tick(*args, **kwargs)
        if self.leading is not False:
            logger.info("beat: standing by; another beat holds the beat lock")
        self.leading = False
        return min(STANDBY_POLL_SECONDS, self.max_interval)
