"""Deals inserted straight in SQL (``INSERT … SELECT generate_series``): a million deals
with their history in minutes, where the service-by-service ``seed_demo`` would take hours.

``insert_deals`` adds deals to whatever pipelines, stages and users exist, after the deals
already there: open deals are numbered on from the bottom of each column, so positions stay
dense per stage (docs/domain/moves.md). ``insert_history`` gives the deals inserted after a
given id the rows a real company has around them. PostgreSQL only.
"""

from django.db import connection

# 70 % open, 20 % won, 10 % lost; values 0–100,000 (5 % unknown); close dates from two
# months ago to a year ahead (20 % unscheduled); 10 % with a probability override; in their
# stage for up to 60 days; half with a done activity since. Deals are spread evenly over
# the stages and, seven at a time, over the owners; organizations are taken in turn (none
# when there are none). Open deals go below the ones already in their column. Custom
# fields: values of every active field for about 80 % of the deals
# (benchmarks/custom_fields.py).
INSERT_DEALS = """
WITH stages AS (
    SELECT s.id, s.pipeline_id, row_number() OVER (ORDER BY s.id) - 1 AS n,
           coalesce((SELECT max(d.position) + 1 FROM deals_deal d
                     WHERE d.stage_id = s.id AND d.status = 'open'), 0) AS next_position
    FROM pipelines_stage s
    WHERE NOT s.is_archived
), owners AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
    FROM accounts_user
    WHERE id = ANY(%(owners)s)
), organizations AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM deals_organization
), base AS (
    SELECT g,
           CASE WHEN g %% 10 < 7 THEN 'open' WHEN g %% 10 < 9 THEN 'won' ELSE 'lost' END
               AS status,
           s.id AS stage_id, s.pipeline_id, s.next_position, o.id AS owner_id,
           now() - random() * interval '60 days' AS entered,
           random() AS r
    FROM generate_series(%(first)s, %(first)s + %(deals)s - 1) AS g
    JOIN stages s ON s.n = g %% (SELECT count(*) FROM stages)
    JOIN owners o ON o.n = (g / 7) %% (SELECT count(*) FROM owners)
)
INSERT INTO deals_deal (
    title, value, expected_close_date, status, lost_note, closed_at, position,
    probability_override, stage_entered_at, last_activity_at, is_stalled, version,
    created_at, updated_at, owner_id, pipeline_id, stage_id, lost_reason_id, organization_id,
    custom_fields
)
SELECT 'Deal ' || g,
       CASE WHEN r < 0.95 THEN round((random() * 100000)::numeric, 2) END,
       CASE WHEN random() < 0.8 THEN current_date + (random() * 425)::int - 60 END,
       status,
       '',
       CASE WHEN status <> 'open' THEN now() - random() * interval '400 days' END,
       CASE WHEN status = 'open'
            THEN next_position + row_number() OVER (PARTITION BY stage_id, status ORDER BY g) - 1
       END,
       CASE WHEN random() < 0.1 THEN (random() * 100)::int END,
       entered,
       CASE WHEN random() < 0.5 THEN entered + random() * (now() - entered) END,
       false, 1, entered, now(), owner_id, pipeline_id, stage_id,
       CASE WHEN status = 'lost' THEN (SELECT min(id) FROM deals_lostreason) END,
       (SELECT ids[1 + g %% cardinality(ids)] FROM organizations),
       {custom_fields}
FROM base
"""

# One stage change per stage a deal went through, from its pipeline's first stage to its
# current one, five days apart (the last at stage_entered_at).
INSERT_STAGE_CHANGES = """
INSERT INTO deals_stagechange (
    deal_id, from_stage_id, to_stage_id, user_id, changed_at, time_in_from_stage,
    override_reason
)
SELECT d.id, previous.id, passed.id, d.owner_id,
       d.stage_entered_at - (current.position - passed.position) * interval '5 days',
       CASE WHEN previous.id IS NOT NULL THEN interval '5 days' END,
       ''
FROM deals_deal d
JOIN pipelines_stage current ON current.id = d.stage_id
JOIN pipelines_stage passed
    ON passed.pipeline_id = d.pipeline_id AND passed.position <= current.position
LEFT JOIN pipelines_stage previous
    ON previous.pipeline_id = d.pipeline_id AND previous.position = passed.position - 1
WHERE d.id > %(after)s
"""

# The timeline of those stage changes: "created", then "moved"; history, so already
# handed on to webhooks (docs/domain/webhooks.md).
INSERT_EVENTS = """
INSERT INTO deals_dealevent (deal_id, user_id, kind, data, created_at, dispatched_at)
SELECT c.deal_id, c.user_id,
       CASE WHEN c.from_stage_id IS NULL THEN 'created' ELSE 'moved' END,
       CASE WHEN c.from_stage_id IS NULL THEN jsonb_build_object('stage', t.name)
            ELSE jsonb_build_object('from', f.name, 'to', t.name) END,
       c.changed_at, now()
FROM deals_stagechange c
JOIN pipelines_stage t ON t.id = c.to_stage_id
LEFT JOIN pipelines_stage f ON f.id = c.from_stage_id
WHERE c.deal_id > %(after)s
"""

# 70 % of the manually ticked items of the stages a deal went through.
INSERT_CHECKS = """
INSERT INTO deals_checklistcheck (deal_id, item_id, checked_by_id, checked_at)
SELECT d.id, i.id, d.owner_id, d.stage_entered_at
FROM deals_deal d
JOIN pipelines_stage current ON current.id = d.stage_id
JOIN pipelines_stage passed
    ON passed.pipeline_id = d.pipeline_id AND passed.position <= current.position
JOIN pipelines_checklistitem i ON i.stage_id = passed.id AND i.satisfied_by = 'manual'
WHERE d.id > %(after)s AND random() < 0.7
"""

# Two or three activities a deal: one done in its stage, one scheduled (some overdue; done
# once the deal is closed), half the deals one more done.
INSERT_ACTIVITIES = """
INSERT INTO deals_activity (
    deal_id, owner_id, kind, subject, notes, due_at, done_at, created_at, updated_at
)
SELECT d.id, d.owner_id,
       (ARRAY['call', 'meeting', 'email', 'task', 'note'])[1 + (d.id + k) %% 5],
       'Follow-up ' || k, '',
       CASE WHEN k = 1 THEN now() + (random() * 20 - 5) * interval '1 day' END,
       CASE WHEN k <> 1 OR d.status <> 'open'
            THEN d.stage_entered_at + random() * (now() - d.stage_entered_at) END,
       d.stage_entered_at, d.stage_entered_at
FROM deals_deal d
CROSS JOIN generate_series(0, 2) AS k
WHERE d.id > %(after)s AND (k < 2 OR random() < 0.5)
"""


def insert_deals(deal_count: int, *, owner_ids: list[int]) -> int:
    """Insert ``deal_count`` deals owned in turn by ``owner_ids``; the last id before them."""
    from benchmarks.custom_fields import values_sql

    custom_fields, custom_params = values_sql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")  # the same deals on every run
        cursor.execute("SELECT coalesce(max(id), 0) FROM deals_deal")
        (after,) = cursor.fetchone()
        cursor.execute(
            INSERT_DEALS.format(custom_fields=custom_fields),
            {"deals": deal_count, "owners": owner_ids, "first": after + 1} | custom_params,
        )
    return after


def insert_history(*, after: int) -> None:
    """Stage changes, timeline events, checklist ticks and activities of the deals with an
    id above ``after``."""
    with connection.cursor() as cursor:
        for statement in (INSERT_STAGE_CHANGES, INSERT_EVENTS, INSERT_CHECKS, INSERT_ACTIVITIES):
            cursor.execute(statement, {"after": after})


def vacuum_analyze() -> None:
    """What autovacuum keeps up in a live database: planner statistics, and the visibility
    map that lets index-only scans skip the tables. Outside any transaction."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
