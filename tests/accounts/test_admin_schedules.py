"""Admin pages: the background job schedules (read-only) and the audit
log (docs/domain/stalls-and-forecast.md, docs/domain/admin-pages.md)."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as project_settings
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.services import audit_record

pytestmark = pytest.mark.django_db

SCHEDULES = reverse("crm_admin:schedules")


def _rows(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [" ".join(row.split()) for row in body.split("<tr>")[1:]]


def test_schedules_page_lists_each_job_its_interval_and_its_variable(admin_client, settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "flag stalled deals": {
            "task": "forecasting.tasks.flag_stalled_deals",
            "schedule": timedelta(minutes=15),
            "options": {"expires": 900},
        },
        "recompute forecasts": {
            "task": "forecasting.tasks.recompute_forecasts",
            "schedule": timedelta(hours=1),
        },
        "nightly digest": {"task": "x.digest", "schedule": crontab(minute=0, hour=6)},
    }
    settings.BEAT_SCHEDULE_ENV_VARS = {"flag stalled deals": "STALL_CHECK_MINUTES"}

    rows = _rows(admin_client.get(SCHEDULES).content.decode())

    assert len(rows) == 3
    assert "flag stalled deals" in rows[0]
    assert "every 15 minutes" in rows[0]
    assert "900 s" in rows[0]
    assert "<code>STALL_CHECK_MINUTES</code>" in rows[0]
    assert "cron 0 6 * * *" in rows[1]
    assert "every hour" in rows[2]
    assert "pipelinecrm/settings.py" in rows[2]  # no variable named for it


def test_schedules_page_says_so_when_nothing_is_scheduled(admin_client, settings):
    del settings.CELERY_BEAT_SCHEDULE

    page = admin_client.get(SCHEDULES).content.decode()

    assert "No periodic job is scheduled yet" in page


def test_audit_log_lists_changes_newest_first_and_filters_by_type(admin_client, company):
    audit_record(actor=company.admin, target=company.sales, action="edited", changes={})
    audit_record(actor=company.admin, target=company.north, action="renamed", changes={})

    page = admin_client.get(reverse("crm_admin:audit")).content.decode()
    filtered = admin_client.get(reverse("crm_admin:audit"), {"type": "accounts.team"})

    assert page.index("renamed") < page.index("edited")
    assert "renamed" in filtered.content.decode()
    assert "edited" not in filtered.content.decode().split('id="history"')[1]


def test_audit_record_keeps_actor_object_and_changes(company):
    entry = audit_record(
        actor=company.admin,
        target=company.stages[0],
        action="edited",
        changes={"probability": [10, 15]},
    )

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.object_type, entry.object_id, entry.object_repr) == (
        company.admin,
        "pipelines.stage",
        str(company.stages[0].pk),
        "Sales / Prospecting",
    )
    assert entry.changes == {"probability": [10, 15]}


def test_every_configured_job_names_the_variable_that_sets_it(admin_client):
    """The real settings: no scheduled job without its environment variable on the page."""
    assert set(project_settings.BEAT_SCHEDULE_ENV_VARS) == set(
        project_settings.CELERY_BEAT_SCHEDULE
    )

    page = admin_client.get(SCHEDULES).content.decode()

    for variable in project_settings.BEAT_SCHEDULE_ENV_VARS.values():
        assert f"<code>{variable}</code>" in page
