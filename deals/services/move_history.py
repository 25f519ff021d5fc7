"""The writes of a move between stages: the UPDATE that places the card and shifts both
columns, the stage change, the "moved" event and the forecast marker of the pipelines
involved, in the move's transaction.

On PostgreSQL the four writes are one statement of data-modifying CTEs (one round trip
instead of four, docs/performance/move-request.md); elsewhere (SQLite under `make run`)
they are the four ORM writes. Either way they commit or roll back with the move.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery

from accounts.models import User
from deals.models import Deal, DealEvent, StageChange
from deals.services.events import deal_event_record, deal_events_doorbell
from pipelines.models import ChecklistItem, Stage
from pipelines.services import pipeline_mark_forecast_dirty
from pipelines.services.forecast_marker import forecast_marked, forecast_marker_sql


@dataclass(frozen=True)
class RowsUpdate:
    """``rows.update(**changes)``, to send now or inside another statement."""

    rows: QuerySet[Deal]
    changes: dict[str, Any]

    def send(self) -> None:
        self.rows.update(**self.changes)

    def as_sql(self) -> tuple[str, tuple]:
        query = self.rows.query.chain(UpdateQuery)
        query.add_update_values(self.changes)
        return query.get_compiler(self.rows.db).as_sql()


@dataclass(frozen=True)
class StageMove:
    deal: Deal
    from_stage: Stage
    to_stage: Stage
    user: User
    at: datetime.datetime
    time_in_from_stage: datetime.timedelta
    override_reason: str
    overridden: list[ChecklistItem]
    event_data: dict[str, Any]


def move_history_record(placement: RowsUpdate, move: StageMove) -> None:
    """Send ``placement`` (the positions) and write ``move``'s history."""
    pipeline_ids = list(dict.fromkeys([move.to_stage.pipeline_id, move.from_stage.pipeline_id]))
    if connection.vendor != "postgresql":
        placement.send()
        stage_change_id = StageChange.objects.create(**_stage_change_fields(move)).pk
        deal_event_record(
            deal=move.deal,
            kind=DealEvent.Kind.MOVED,
            user=move.user,
            at=move.at,
            data=move.event_data,
        )
        for pipeline_id in pipeline_ids:
            pipeline_mark_forecast_dirty(pipeline_id=pipeline_id)
    else:
        stage_change_id, marked = _write_in_one_statement(placement, move, pipeline_ids)
        forecast_marked(marked)
        deal_events_doorbell()
    if move.overridden:
        overrides = StageChange.overridden_items.through
        overrides.objects.bulk_create(
            overrides(stagechange_id=stage_change_id, checklistitem_id=item.pk)
            for item in move.overridden
        )


def _stage_change_fields(move: StageMove) -> dict[str, Any]:
    return {
        "deal_id": move.deal.pk,
        "from_stage_id": move.from_stage.pk,
        "to_stage_id": move.to_stage.pk,
        "user_id": move.user.pk,
        "changed_at": move.at,
        "time_in_from_stage": move.time_in_from_stage,
        "override_reason": move.override_reason,
    }


def _insert_sql(model, values: dict[str, Any]) -> tuple[str, list]:
    """``INSERT … RETURNING id`` of one row, each value prepared as its field saves it."""
    fields = [model._meta.get_field(name.removesuffix("_id")) for name in values]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    placeholders = ", ".join(["%s"] * len(params))
    table = model._meta.db_table
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders}) RETURNING "id"'  # noqa: S608 - names from the models
    return sql, params


def _write_in_one_statement(
    placement: RowsUpdate, move: StageMove, pipeline_ids: list[int]
) -> tuple[int, int]:
    """(the stage change's id, how many pipelines were newly marked). The sub-statements
    share one snapshot and none reads what another writes; the deferred (stage, position)
    constraint is checked at commit as before."""
    placed_sql, placed_params = placement.as_sql()
    change_sql, change_params = _insert_sql(StageChange, _stage_change_fields(move))
    event_sql, event_params = _insert_sql(
        DealEvent,
        {
            "deal_id": move.deal.pk,
            "user_id": move.user.pk,
            "kind": DealEvent.Kind.MOVED,
            "data": move.event_data,
            "created_at": move.at,
        },
    )
    marker_sql, marker_params = forecast_marker_sql(pipeline_ids=pipeline_ids, now=move.at)
    # The parts are built above from the models' names; the values are parameters.
    ctes = (
        f"WITH placed AS ({placed_sql} RETURNING 1), change AS ({change_sql}), "
        f"event AS ({event_sql}), marker AS ({marker_sql})"
    )
    counts = "(SELECT count(*) FROM placed), (SELECT count(*) FROM event), (SELECT id FROM change)"
    sql = f"{ctes} SELECT {counts}, (SELECT count(*) FROM marker)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*placed_params, *change_params, *event_params, *marker_params])
        _placed, _events, stage_change_id, marked = cursor.fetchone()
    return stage_change_id, marked
