from django.urls import path

from deals.views import board

urlpatterns = [
    path("board/", board.board_home, name="board"),
    path("pipelines/<int:pipeline_id>/board/", board.board_page, name="board-pipeline"),
]
