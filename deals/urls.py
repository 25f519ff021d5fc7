from django.urls import path

from deals.views import actions, board

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
    path("deals/<int:deal_id>/move/", actions.deal_move_view, name="deal-move"),
    path("deals/<int:deal_id>/won/", actions.deal_won_view, name="deal-won"),
    path("deals/<int:deal_id>/lost/", actions.deal_lost_view, name="deal-lost"),
]
