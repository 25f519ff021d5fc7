"""The automation designer under a stage's admin page (docs/domain/webhooks.md, "Designer")."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from integrations.models import StageAutomation, WebhookSubscription
from tests.helpers import assert_no_inline_script

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def stage(company):
    return company.stages[5]  # Contract sent


def url(name, stage, automation=None):
    args = [stage.pk] if automation is None else [stage.pk, automation.pk]
    return reverse(f"crm_admin:{name}", args=args)


def activity_post(**extra):
    return {
        "action": "create_activity",
        "activity_kind": "call",
        "activity_subject": "Call about the contract",
        "due_in_business_days": "2",
    } | extra


def test_the_stage_page_loads_the_automations_with_a_fallback_link(admin_client, stage):
    page = admin_client.get(reverse("crm_admin:stage", args=[stage.pk]))

    html = page.content.decode()
    assert f'hx-get="{url("stage-automations", stage)}"' in html
    assert f'href="{url("stage-automations", stage)}"' in html  # without JavaScript
    assert_no_inline_script(page)


def test_the_section_and_the_page_list_the_automations(admin_client, stage):
    StageAutomation.objects.create(stage=stage, action="set_probability", probability=95)

    section = admin_client.get(url("stage-automations", stage), **HTMX)
    page = admin_client.get(url("stage-automations", stage))

    assert section.status_code == page.status_code == 200
    assert "Set the deal&#x27;s probability" in section.content.decode()
    assert "<html" not in section.content.decode()
    assert "95 %" in page.content.decode()
    assert "<html" in page.content.decode()
    assert_no_inline_script(page)


def test_adding_an_activity_automation_is_audited(admin_client, company, stage):
    form = admin_client.get(url("automation-create", stage))
    assert form.status_code == 200
    assert_no_inline_script(form)

    answer = admin_client.post(url("automation-create", stage), activity_post(back="stage"))

    assert answer.status_code == 302
    assert answer["Location"] == reverse("crm_admin:stage", args=[stage.pk]) + "#automations"
    automation = StageAutomation.objects.get()
    assert (automation.stage, automation.activity_kind, automation.due_in_business_days) == (
        stage,
        "call",
        2,
    )
    entry = AuditEntry.objects.get(object_type="integrations.stageautomation")
    assert (entry.actor, entry.action) == (company.admin, "created")
    assert entry.changes["activity_subject"] == "Call about the contract"


def test_fields_of_another_action_are_not_kept(admin_client, stage):
    admin_client.post(url("automation-create", stage), activity_post(probability="50"))
    assert StageAutomation.objects.get().probability is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (activity_post(activity_kind=""), "activity_kind", "Choose call, meeting"),
        (activity_post(activity_subject="  "), "activity_subject", "Give the activity a subject"),
        (activity_post(due_in_business_days=""), "due_in_business_days", "from 0 to 365"),
        (activity_post(due_in_business_days="366"), "due_in_business_days", "365"),
        ({"action": "set_probability", "probability": ""}, "probability", "from 0 to 100"),
        ({"action": "set_probability", "probability": "101"}, "probability", "100"),
        ({"action": "send_webhook"}, "subscription", "Choose the webhook"),
        ({"action": "explode"}, "action", "explode"),
    ],
)
def test_validation(admin_client, stage, data, field, message):
    answer = admin_client.post(url("automation-create", stage), data)

    assert answer.status_code == 422
    errors = answer.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not StageAutomation.objects.exists()


def test_editing_switching_off_and_deleting(admin_client, company, stage):
    hook = WebhookSubscription.objects.create(name="ERP", url="https://erp.example.com/h")
    automation = StageAutomation.objects.create(
        stage=stage, action="set_probability", probability=90
    )

    edit = admin_client.get(url("automation-edit", stage, automation))
    assert edit.status_code == 200
    admin_client.post(
        url("automation-edit", stage, automation),
        {"action": "send_webhook", "subscription": str(hook.pk)},
    )
    automation.refresh_from_db()
    assert (automation.action, automation.subscription, automation.probability) == (
        "send_webhook",
        hook,
        None,
    )

    off = admin_client.post(url("automation-toggle", stage, automation), {"active": "0"})
    assert off["Location"] == url("stage-automations", stage)
    automation.refresh_from_db()
    assert not automation.is_active

    admin_client.post(url("automation-delete", stage, automation))
    assert not StageAutomation.objects.exists()

    actions = list(
        AuditEntry.objects.filter(object_type="integrations.stageautomation")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["edited", "deactivated", "deleted"]
    edited = AuditEntry.objects.get(action="edited", object_type="integrations.stageautomation")
    assert edited.changes["subscription"] == [None, "ERP"]


def test_another_stage_s_automation_is_not_found(admin_client, company, stage):
    other = StageAutomation.objects.create(
        stage=company.stages[0], action="set_probability", probability=5
    )
    assert admin_client.get(url("automation-edit", stage, other)).status_code == 404
    assert admin_client.post(url("automation-delete", stage, other)).status_code == 404
    assert StageAutomation.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("persona", ["manager", "rep1"])
def test_only_admins(login, company, stage, persona):
    automation = StageAutomation.objects.create(
        stage=stage, action="set_probability", probability=90
    )
    client = login(getattr(company, persona))

    assert client.get(url("stage-automations", stage)).status_code == 404
    assert client.get(url("automation-create", stage)).status_code == 404
    assert client.post(url("automation-create", stage), activity_post()).status_code == 404
    assert client.post(url("automation-delete", stage, automation)).status_code == 404
    assert client.post(url("automation-toggle", stage, automation)).status_code == 404
    assert StageAutomation.objects.count() == 1
