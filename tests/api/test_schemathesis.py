"""The API against its own schema: schemathesis generates requests from /api/schema/ and
runs them in process against the WSGI app (docs/architecture.md).

Every answer must be a documented status with a documented JSON body, and none a 5xx.
Examples are bounded and derandomized so the run is quick and repeatable.
"""

import datetime
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.api.tokens import api_token_create
from accounts.models import ApiToken, Team, User
from deals.models import Activity, Deal, LostReason, Notification, Organization, Person
from deals.services.activities import activity_log
from forecasting.models import Quota
from integrations.models import WebhookDelivery, WebhookSubscription
from pipelinecrm.wsgi import application
from pipelines.models import ActivityKind, ChecklistItem, CustomField, Pipeline, Stage
from tests import factories

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def admin_token(company):
    """Some of everything for the generated requests to find, and an admin's token (an
    admin may reach every operation, so every code path runs)."""
    stages = company.stages
    factories.make_item(stages[0], text="Budget confirmed")
    factories.make_item(
        stages[1],
        ChecklistItem.Kind.ENTRY,
        satisfied_by=ChecklistItem.SatisfiedBy.FIELD,
        field_name=ChecklistItem.Field.VALUE,
    )
    for n in range(3):
        deal = factories.make_deal(
            company.rep1,
            company.sales,
            value=Decimal(1000 * (n + 1)),
            expected_close_date=datetime.date(2026, 1 + n, 15),
        )
        activity_log(user=company.rep1, deal=deal, kind=ActivityKind.CALL, subject="Intro call")
        Notification.objects.create(recipient=company.admin, kind="stalled", deal=deal, text="x")
    LostReason.objects.create(name="Price")
    factories.make_custom_field("Budget", CustomField.Type.MONEY)
    factories.make_custom_field(
        "Competitor", CustomField.Type.SINGLE_CHOICE, pipeline=company.sales, options=("Acme",)
    )
    Quota.objects.create(user=company.rep1, month=datetime.date(2026, 1, 1), amount=10_000)
    hook = WebhookSubscription.objects.create(
        name="Billing", url="https://93.184.216.34/hook", events=["deal.won"]
    )
    for status in WebhookDelivery.Status.values:
        WebhookDelivery.objects.create(
            subscription=hook, event_type="deal.won", payload={"type": "deal.won"}, status=status
        )
    _, key = api_token_create(user=company.admin, name="schemathesis")
    return key


# What the ids in each kind of path name ({id} after the resource, or the parameter's name).
PATH_MODELS = {
    "activities": Activity,
    "checklist-items": ChecklistItem,
    "custom-fields": CustomField,
    "deals": Deal,
    "deal_id": Deal,
    "item_id": ChecklistItem,
    "notifications": Notification,
    "organizations": Organization,
    "people": Person,
    "pipeline_id": Pipeline,
    "pipelines": Pipeline,
    "quotas": Quota,
    "stages": Stage,
    "teams": Team,
    "tokens": ApiToken,
    "users": User,
    "webhook-deliveries": WebhookDelivery,
    "webhooks": WebhookSubscription,
}


def point_at_existing_objects(case) -> None:
    """Generated ids are random numbers that hardly ever exist, so most requests would only
    meet a 404. Three in four are mapped onto the objects of the fixture, so that what the
    operations do runs as well as their refusals."""
    segments = case.operation.path.strip("/").split("/")
    for name, value in (case.path_parameters or {}).items():
        if not isinstance(value, int) or value % 4 == 0:
            continue
        resource = segments[segments.index(f"{{{name}}}") - 1]
        model = PATH_MODELS.get(name) or PATH_MODELS[resource]
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        if ids:
            case.path_parameters[name] = ids[value % len(ids)]


@pytest.fixture
def wsgi_keeps_test_connection():
    """Requests reach the real WSGI handler, whose request signals close the database
    connection in use; inside a test's transaction that would end the test. Django's own
    test client suspends the same handler for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loaded when the module is collected (schema generation needs no database); one test
# per operation follows. (``schemathesis.pytest.from_fixture`` would defer this, but its
# lazy path does not run under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_answers_as_documented(case, admin_token, wsgi_keeps_test_connection):
    point_at_existing_objects(case)
    case.call_and_validate(headers={"Authorization": f"Token {admin_token}"}, checks=CHECKS)
