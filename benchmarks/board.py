"""Board speed: the page, a column fragment, a move by drag (htmx) and by the API, timed
in-process (server time) as the manager of North on the Sales pipeline."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from benchmarks.clients import BenchAPIClient, BenchClient
from benchmarks.timing import Measure, Target, measure, ok

NORTH = ("manager", "rep1", "rep2")


@dataclass(frozen=True)
class BoardTargets:
    """Issue #14's targets at one size."""

    page_ms: float
    fragment_ms: float


MOVE_TARGET = Target(10, queries=8)  # the same at every size

# At 10,000, 100,000 and 1,000,000 deals.
TARGETS = (BoardTargets(25, 10), BoardTargets(40, 15), BoardTargets(80, 30))


def board_data() -> str:
    """The data size line: deals, open deals, and the open deals on the measured board."""
    from accounts.models import User
    from deals.models import Deal
    from deals.selectors.board import board_deals
    from deals.selectors.filters import BoardFilters
    from pipelines.models import Pipeline

    visible = board_deals(
        pipeline=Pipeline.objects.get(name="Sales"),
        user=User.objects.get(username="manager"),
        filters=BoardFilters(),
    ).count()
    deals = Deal.objects.count()
    open_deals = Deal.objects.filter(status="open").count()
    return (
        f"data: {deals:,} deals ({open_deals:,} open); "
        f"the North manager's Sales board shows {visible:,} open deals"
    )


def bench_board(*, runs: int, targets: BoardTargets) -> list[Measure]:
    from accounts.api.tokens import api_token_create
    from accounts.models import User
    from deals.models import Deal
    from deals.selectors.board import board_deals
    from deals.selectors.filters import BoardFilters
    from pipelines.models import Pipeline

    manager = User.objects.get(username="manager")
    client = BenchClient(SERVER_NAME="localhost")
    # The manager sees the whole North team's deals: a realistic large board.
    client.force_login(manager)
    api = BenchAPIClient(SERVER_NAME="localhost")
    _, key = api_token_create(user=manager, name="benchmark")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    pipeline = Pipeline.objects.get(name="Sales")
    stages = list(pipeline.stages.order_by("position"))
    board_url = reverse("board-pipeline", args=[pipeline.pk])
    visible = board_deals(pipeline=pipeline, user=manager, filters=BoardFilters())
    busiest = max(stages, key=lambda s: visible.filter(stage=s).count())
    # The first scroll of the busiest column: the 50 cards after the first page.
    first_page = settings.BOARD_FIRST_PAGE_SIZE
    more_url = reverse("column-more", args=[pipeline.pk, busiest.pk]) + f"?offset={first_page}"

    deal = (
        Deal.objects.filter(stage=busiest, status="open", owner__username__in=NORTH)
        .order_by("position")
        .first()
    )

    body: dict = {}

    def next_reorder() -> None:
        """Untimed, before each move: within the busiest column, alternate index 0 and 1.
        Every move shifts a neighbour, and reorders are always allowed, so each run does
        the same work; the version is read here, not by the timed request."""
        current = Deal.objects.only("position", "version").get(pk=deal.pk)
        body.update(
            stage=busiest.pk,
            version=current.version,
            position=1 - current.position if current.position <= 1 else 0,
        )

    def move() -> None:
        data = {**body, "source": "drag"}
        ok(client.post(reverse("deal-move", args=[deal.pk]), data, HTTP_HX_REQUEST="true"))

    def api_move() -> None:
        ok(api.post(f"/api/v1/deals/{deal.pk}/move/", body, format="json"))

    return [
        measure(
            "board page (Sales, manager)",
            lambda: ok(client.get(board_url)),
            runs,
            target=Target(targets.page_ms),
        ),
        measure(
            f"column fragment ({busiest.name}, offset {first_page})",
            lambda: ok(client.get(more_url, HTTP_HX_REQUEST="true")),
            runs,
            target=Target(targets.fragment_ms),
        ),
        measure("move (drag, htmx, reorder)", move, runs, prepare=next_reorder, target=MOVE_TARGET),
        measure(
            "API move (token, same reorder)",
            api_move,
            runs,
            prepare=next_reorder,
            target=MOVE_TARGET,
        ),
    ]
