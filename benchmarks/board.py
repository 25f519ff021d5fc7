"""Board speed: the page, a column fragment and a move, timed in-process (server time)."""

from django.test import Client
from django.urls import reverse

from benchmarks.timing import Measure, measure, ok


def bench_board(*, runs: int) -> list[Measure]:
    from accounts.models import User
    from deals.models import Deal
    from pipelines.models import Pipeline

    client = Client(SERVER_NAME="localhost")
    # The manager sees the whole North team's deals: a realistic large board.
    client.force_login(User.objects.get(username="manager"))
    pipeline = Pipeline.objects.get(name="Sales")
    stages = list(pipeline.stages.order_by("position"))
    board_url = reverse("board-pipeline", args=[pipeline.pk])
    busiest = max(stages, key=lambda s: s.deals.filter(status="open").count())
    more_url = reverse("column-more", args=[pipeline.pk, busiest.pk]) + "?offset=50"

    north = ["manager", "rep1", "rep2"]
    deal = (
        Deal.objects.filter(stage=busiest, status="open", owner__username__in=north)
        .order_by("position")
        .first()
    )
    move_url = reverse("deal-move", args=[deal.pk])

    def move() -> None:
        """Reorder within the busiest column, alternating index 0 and 1: every move shifts
        a neighbour, and reorders are always allowed, so each run does the same work."""
        current = Deal.objects.only("position", "version").get(pk=deal.pk)
        body = {
            "stage": busiest.pk,
            "version": current.version,
            "position": 1 - current.position if current.position <= 1 else 0,
            "source": "drag",
        }
        ok(client.post(move_url, body, HTTP_HX_REQUEST="true"))

    return [
        measure("board page (Sales, manager)", lambda: ok(client.get(board_url)), runs),
        measure(
            f"column fragment ({busiest.name}, offset 50)",
            lambda: ok(client.get(more_url, HTTP_HX_REQUEST="true")),
            runs,
        ),
        measure("move (drag, reorder within a column)", move, runs),
    ]
