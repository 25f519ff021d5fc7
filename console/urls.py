"""The in-app admin pages under /admin/, admins only: everyone else 404.

One URLconf for the admin pages of every app, so the list of admin URLs lives in one place
(the access test walks it); it sits in the console, the top layer, because it names views
of every app (docs/architecture-layers.md). Django's own admin stays at /django-admin/.
"""

from django.urls import path

from accounts import views as accounts
from console import views as console
from deals.views import lost_reasons
from forecasting.views import quotas
from integrations import automation_views as automations
from integrations import views as webhooks
from pipelines import views as pipelines
from pipelines import views_custom_fields as fields

app_name = "crm_admin"

urlpatterns = [
    path("", console.admin_home, name="home"),
    # Pipelines and the stage designer
    path("pipelines/", pipelines.pipeline_list, name="pipelines"),
    path("pipelines/<int:pipeline_id>/", pipelines.pipeline_designer, name="pipeline"),
    path("pipelines/<int:pipeline_id>/edit/", pipelines.pipeline_edit, name="pipeline-edit"),
    path(
        "pipelines/<int:pipeline_id>/archive/",
        pipelines.pipeline_archive,
        name="pipeline-archive",
    ),
    path(
        "pipelines/<int:pipeline_id>/restore/",
        pipelines.pipeline_restore,
        name="pipeline-restore",
    ),
    path(
        "pipelines/<int:pipeline_id>/duplicate/",
        pipelines.pipeline_duplicate_view,
        name="pipeline-duplicate",
    ),
    path(
        "pipelines/<int:pipeline_id>/delete/",
        pipelines.pipeline_delete_view,
        name="pipeline-delete",
    ),
    path(
        "pipelines/<int:pipeline_id>/stages/new/",
        pipelines.stage_create_view,
        name="stage-create",
    ),
    path(
        "pipelines/<int:pipeline_id>/stages/order/",
        pipelines.stages_reorder_view,
        name="stages-reorder",
    ),
    path("stages/<int:stage_id>/", pipelines.stage_designer, name="stage"),
    path("stages/<int:stage_id>/edit/", pipelines.stage_edit, name="stage-edit"),
    path("stages/<int:stage_id>/shift/", pipelines.stage_shift_view, name="stage-shift"),
    path("stages/<int:stage_id>/remove/", console.stage_remove_view, name="stage-remove"),
    path("stages/<int:stage_id>/items/new/", pipelines.item_create_view, name="item-create"),
    # Stage automations (docs/domain/webhooks.md, "Designer")
    path(
        "stages/<int:stage_id>/automations/",
        automations.stage_automations,
        name="stage-automations",
    ),
    path(
        "stages/<int:stage_id>/automations/new/",
        automations.automation_create_view,
        name="automation-create",
    ),
    path(
        "stages/<int:stage_id>/automations/<int:automation_id>/edit/",
        automations.automation_edit_view,
        name="automation-edit",
    ),
    path(
        "stages/<int:stage_id>/automations/<int:automation_id>/active/",
        automations.automation_toggle_view,
        name="automation-toggle",
    ),
    path(
        "stages/<int:stage_id>/automations/<int:automation_id>/delete/",
        automations.automation_delete_view,
        name="automation-delete",
    ),
    path("items/<int:item_id>/", pipelines.item_row, name="item"),
    path("items/<int:item_id>/edit/", pipelines.item_edit, name="item-edit"),
    path("items/<int:item_id>/shift/", pipelines.item_shift_view, name="item-shift"),
    path("items/<int:item_id>/remove/", pipelines.item_remove_view, name="item-remove"),
    # Custom fields
    path("fields/", fields.custom_field_list, name="custom-fields"),
    path("fields/<int:field_id>/", fields.custom_field_detail, name="custom-field"),
    path("fields/<int:field_id>/edit/", fields.custom_field_edit, name="custom-field-edit"),
    path(
        "fields/<int:field_id>/shift/",
        fields.custom_field_shift_view,
        name="custom-field-shift",
    ),
    path(
        "fields/<int:field_id>/archive/",
        fields.custom_field_archive_view,
        name="custom-field-archive",
    ),
    path(
        "fields/<int:field_id>/restore/",
        fields.custom_field_restore_view,
        name="custom-field-restore",
    ),
    path(
        "fields/<int:field_id>/delete/",
        fields.custom_field_delete_view,
        name="custom-field-delete",
    ),
    path(
        "fields/<int:field_id>/options/new/",
        fields.option_create_view,
        name="custom-field-option-create",
    ),
    path("options/<int:option_id>/edit/", fields.option_edit_view, name="custom-field-option-edit"),
    path(
        "options/<int:option_id>/shift/",
        fields.option_shift_view,
        name="custom-field-option-shift",
    ),
    path(
        "options/<int:option_id>/archive/",
        fields.option_archive_view,
        name="custom-field-option-archive",
    ),
    path(
        "options/<int:option_id>/restore/",
        fields.option_restore_view,
        name="custom-field-option-restore",
    ),
    # Lost reasons
    path("lost-reasons/", lost_reasons.lost_reasons, name="lost-reasons"),
    path(
        "lost-reasons/<int:reason_id>/edit/",
        lost_reasons.lost_reason_edit,
        name="lost-reason-edit",
    ),
    path(
        "lost-reasons/<int:reason_id>/shift/",
        lost_reasons.lost_reason_shift_view,
        name="lost-reason-shift",
    ),
    path(
        "lost-reasons/<int:reason_id>/active/",
        lost_reasons.lost_reason_active,
        name="lost-reason-active",
    ),
    # Users and teams
    path("users/", accounts.user_list, name="users"),
    path("users/new/", accounts.user_create_view, name="user-create"),
    path("users/<int:user_id>/", console.user_detail, name="user"),
    path("users/<int:user_id>/edit/", console.user_edit, name="user-edit"),
    path("users/<int:user_id>/role/", console.user_role, name="user-role"),
    path("users/<int:user_id>/invite/", accounts.user_invite_view, name="user-invite"),
    path(
        "users/<int:user_id>/deactivate/",
        console.user_deactivate_view,
        name="user-deactivate",
    ),
    path(
        "users/<int:user_id>/reactivate/",
        accounts.user_reactivate_view,
        name="user-reactivate",
    ),
    path("teams/", accounts.team_list, name="teams"),
    path("teams/<int:team_id>/", accounts.team_detail, name="team"),
    path("teams/<int:team_id>/delete/", accounts.team_delete_view, name="team-delete"),
    # Webhooks
    path("webhooks/", webhooks.subscription_list, name="webhooks"),
    path("webhooks/new/", webhooks.subscription_create_view, name="webhook-create"),
    path("webhooks/<int:subscription_id>/", webhooks.subscription_detail, name="webhook"),
    path("webhooks/<int:subscription_id>/edit/", webhooks.subscription_edit, name="webhook-edit"),
    path(
        "webhooks/<int:subscription_id>/rotate-secret/",
        webhooks.subscription_rotate_view,
        name="webhook-rotate",
    ),
    path(
        "webhooks/<int:subscription_id>/resume/",
        webhooks.subscription_resume_view,
        name="webhook-resume",
    ),
    path(
        "webhooks/<int:subscription_id>/test/",
        webhooks.subscription_test_view,
        name="webhook-test",
    ),
    path(
        "webhooks/<int:subscription_id>/active/",
        webhooks.subscription_active_view,
        name="webhook-active",
    ),
    path(
        "webhooks/<int:subscription_id>/delete/",
        webhooks.subscription_delete_view,
        name="webhook-delete",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/",
        webhooks.delivery_detail,
        name="webhook-delivery",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/redeliver/",
        webhooks.delivery_redeliver_view,
        name="webhook-redeliver",
    ),
    # Quotas, schedules, audit
    path("quotas/", quotas.quotas, name="quotas"),
    path("schedules/", accounts.schedules, name="schedules"),
    path("audit/", accounts.audit_log, name="audit"),
]
