"""The forecast snapshots: ``recompute_forecasts`` writes one set for every
pipeline, ``recompute_dirty_forecasts`` for the pipelines deal changes marked dirty. What a
forecast is lives in forecasting/forecast_rules.py, shared with the live figures.
"""

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from forecasting.calendar import month_shift
from forecasting.forecast_rules import forecast_rows
from forecasting.models import ForecastClaim, ForecastSnapshot
from forecasting.services.claims import rows_claim
from pipelinecrm.calendar import company_today
from pipelines.models import Pipeline

# Months of snapshots either side of the current one
# (docs/domain/stalls-and-forecast.md: −12 … +12).
SNAPSHOT_MONTHS = 12
# Rows per INSERT: a run over many pipelines stays a few statements.
BATCH_SIZE = 1000


def forecasts_recompute(
    *, pipeline_ids: Sequence[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Write one snapshot set (months −12 … +12 and unscheduled) for these pipelines or all.

    Every row of a run shares ``computed_at``; a pipeline × owner × month without deals
    has no row (read it as zero). Returns the number of rows written.
    """
    now = now or timezone.now()
    today = company_today(now)
    current_month = today.replace(day=1)
    rows = forecast_rows(
        today=today,
        first_month=month_shift(current_month, -SNAPSHOT_MONTHS),
        last_month=month_shift(current_month, SNAPSHOT_MONTHS),
        pipeline_ids=pipeline_ids,
    )
    with transaction.atomic():
        ForecastSnapshot.objects.bulk_create(
            [
                ForecastSnapshot(
                    pipeline_id=row["pipeline_id"],
                    owner_id=row["owner_id"],
                    period=row["period"],
                    weighted_amount=row["weighted"],
                    open_amount=row["open"],
                    won_amount=row["won"],
                    deal_count=row["count"],
                    computed_at=now,
                )
                for row in rows
            ],
            batch_size=BATCH_SIZE,
        )
    return len(rows)


def forecasts_recompute_dirty(*, now: datetime.datetime | None = None) -> list[int]:
    """Recompute the pipelines that deal changes marked dirty; return their ids.

    The claim clears the markers in one committed statement before computing, so a change
    committed from then on marks its pipeline again and asks for another run, while a
    second worker claiming at the same moment finds nothing. The same transaction records a
    ForecastClaim, deleted with the new snapshots' commit: should the recompute fail, the
    markers are put back at once; should its worker be killed, a later run finds the claim
    stale and takes its pipelines over.
    """
    now = now or timezone.now()
    claims = _forecast_claim(now=now)
    if not claims:
        return []
    pipeline_ids = sorted(set(claims.values()))
    try:
        with transaction.atomic():
            forecasts_recompute(pipeline_ids=pipeline_ids, now=now)
            ForecastClaim.objects.filter(pk__in=list(claims)).delete()
    except Exception:
        with transaction.atomic():
            _markers_restore(pipeline_ids)
            ForecastClaim.objects.filter(pk__in=list(claims)).delete()
        raise
    return pipeline_ids


@transaction.atomic
def _forecast_claim(*, now: datetime.datetime) -> dict[int, int]:
    """Claim the dirty pipelines and those of stale claims; claim id → pipeline id."""
    stale_before = now - datetime.timedelta(seconds=settings.FORECAST_CLAIM_TIMEOUT_SECONDS)
    # SKIP LOCKED: a stale claim that another run is taking over right now is its own.
    stale = dict(
        ForecastClaim.objects.select_for_update(skip_locked=True)
        .filter(claimed_at__lt=stale_before)
        .values_list("pk", "pipeline_id")
    )
    ForecastClaim.objects.filter(pk__in=list(stale)).delete()
    dirty = rows_claim(
        Pipeline.objects.filter(forecast_dirty_since__isnull=False),
        returning=("id",),
        forecast_dirty_since=None,
    )
    pipeline_ids = {row["id"] for row in dirty} | set(stale.values())
    created = ForecastClaim.objects.bulk_create(
        [ForecastClaim(pipeline_id=pk, claimed_at=now) for pk in sorted(pipeline_ids)]
    )
    return {claim.pk: claim.pipeline_id for claim in created}


def _markers_restore(pipeline_ids: list[int]) -> None:
    Pipeline.objects.filter(pk__in=pipeline_ids, forecast_dirty_since__isnull=True).update(
        forecast_dirty_since=timezone.now()
    )
