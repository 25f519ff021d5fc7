from django.urls import path

from deals.views import (
    actions,
    activities,
    board,
    contacts,
    deal,
    deals_list,
    imports,
    notifications,
)
from deals.views.refusals import Page

ON_DEAL_PAGE = {"page": Page.DEAL}

urlpatterns = [
    path("board/", board.board_home, name="board"),
    path("pipelines/<int:pipeline_id>/board/", board.board_page, name="board-pipeline"),
    path(
        "pipelines/<int:pipeline_id>/board/changes/",
        board.board_changes,
        name="board-changes",
    ),
    path(
        "pipelines/<int:pipeline_id>/stages/<int:stage_id>/cards/",
        board.column_more,
        name="column-more",
    ),
    path(
        "pipelines/<int:pipeline_id>/stages/<int:stage_id>/deals/new/",
        board.deal_new,
        name="deal-new",
    ),
    # One view per action for the board and the deal page; the deal page's names below
    # pass ``page`` so the answer re-renders its panel (deals/views/refusals.py).
    path("deals/<int:deal_id>/move/", actions.deal_move_view, name="deal-move"),
    path("deals/<int:deal_id>/won/", actions.deal_won_view, name="deal-won"),
    path("deals/<int:deal_id>/lost/", actions.deal_lost_view, name="deal-lost"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/bell/", notifications.notification_bell, name="notification-bell"),
    path(
        "notifications/<int:notification_id>/read/",
        notifications.notification_read,
        name="notification-read",
    ),
    path(
        "notifications/read-all/",
        notifications.notifications_read_all,
        name="notifications-read-all",
    ),
]

# Deal page, activities, organizations and people, the deals list, CSV import and export.
urlpatterns += [
    path("deals/", deals_list.deals_page, name="deals-list"),
    path("deals/export.csv", deals_list.deals_export, name="deals-export"),
    path("deals/bulk/", deals_list.deals_bulk, name="deals-bulk"),
    path("deals/<int:deal_id>/", deal.deal_detail, name="deal-detail"),
    path("deals/<int:deal_id>/dialog/", deal.deal_dialog, name="deal-dialog"),
    path("deals/<int:deal_id>/edit/", deal.deal_edit, name="deal-edit"),
    path("deals/<int:deal_id>/stage/", actions.deal_move_view, ON_DEAL_PAGE, name="deal-stage"),
    path("deals/<int:deal_id>/checklist/", deal.deal_checklist, name="deal-checklist"),
    path(
        "deals/<int:deal_id>/mark-won/", actions.deal_won_view, ON_DEAL_PAGE, name="deal-page-won"
    ),
    path(
        "deals/<int:deal_id>/mark-lost/",
        actions.deal_lost_view,
        ON_DEAL_PAGE,
        name="deal-page-lost",
    ),
    path("deals/<int:deal_id>/reopen/", actions.deal_reopen_view, name="deal-page-reopen"),
    path("deals/<int:deal_id>/activities/", activities.deal_activity_new, name="deal-activity-new"),
    path("activities/", activities.activities_page, name="activities"),
    path("activities/<int:activity_id>/done/", activities.activity_done, name="activity-done"),
    path(
        "activities/<int:activity_id>/delete/",
        activities.activity_remove,
        name="activity-delete",
    ),
    path("organizations/", contacts.organization_list, name="organizations"),
    path("organizations/new/", contacts.organization_new, name="organization-new"),
    path("organizations/options/", contacts.organization_options, name="organization-options"),
    path("organizations/<int:pk>/", contacts.organization_detail, name="organization-detail"),
    path("organizations/<int:pk>/edit/", contacts.organization_edit, name="organization-edit"),
    path(
        "organizations/<int:pk>/delete/", contacts.organization_remove, name="organization-delete"
    ),
    path("people/", contacts.person_list, name="people"),
    path("people/new/", contacts.person_new, name="person-new"),
    path("people/options/", contacts.person_options, name="person-options"),
    path("people/<int:pk>/", contacts.person_detail, name="person-detail"),
    path("people/<int:pk>/edit/", contacts.person_edit, name="person-edit"),
    path("people/<int:pk>/delete/", contacts.person_remove, name="person-delete"),
    path("import/", imports.import_start, name="import"),
    path("import/<int:job_id>/", imports.import_job, name="import-job"),
    path("import/<int:job_id>/progress/", imports.import_progress, name="import-progress"),
]
