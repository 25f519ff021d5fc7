"""Webhooks (docs/domain/webhooks.md): what a move pays for them, and how fast the worker
delivers.

- "move with 3 subscriptions": the API move of a deal between two stages (a stage change
  writes a timeline event and rings the dispatcher), timed without subscriptions and then
  with three subscriptions to ``deal.moved``, same deal, same data; the extra is the
  difference of the medians. The outbox is the timeline, so the request writes nothing
  more; the doorbell (one Celery message after commit) is paid by both.
- "worker delivers to a local receiver": N timeline events on 200 deals dispatched, then
  sent by the sender (the ``send_deliveries`` task's body, in-process) to an HTTP receiver
  on loopback with keep-alive; events per second over dispatch and delivery.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.timing import Measure, Target, ok, summary

MOVE_EXTRA_MS = 2.0
EVENTS_PER_SECOND = 200
DEALS = 200


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with _Receiver.lock:
            _Receiver.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _bench_pipeline():
    """A pipeline of its own with two stages and no checklist: moves back and forth are
    always allowed."""
    from accounts.models import User
    from deals.services.deals import deal_create
    from pipelines.models import Pipeline, Stage

    manager = User.objects.get(username="manager")
    pipeline = Pipeline.objects.create(name="Webhook benchmark")
    stages = [
        Stage.objects.create(pipeline=pipeline, name=name, position=position, probability=p)
        for position, (name, p) in enumerate([("Open", 20), ("Contract sent", 90)])
    ]
    deal = deal_create(
        user=manager,
        title="Webhook benchmark",
        pipeline=pipeline,
        stage=stages[0],
        owner=manager,
        value=1000,
    )
    return manager, pipeline, stages, deal


def bench_webhooks(*, runs: int, events: int) -> list[Measure]:
    from accounts.api.tokens import api_token_create
    from benchmarks.clients import BenchAPIClient  # needs Django's settings: imported late
    from deals.models import Deal, DealEvent
    from integrations.models import EventType, WebhookSubscription

    # The demo's history counts as handed on, as the migration does for real history.
    DealEvent.objects.filter(dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    manager, pipeline, stages, deal = _bench_pipeline()
    api = BenchAPIClient(SERVER_NAME="localhost")
    _, key = api_token_create(user=manager, name="webhook benchmark")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body: dict = {}

    def next_move() -> None:
        current = Deal.objects.only("stage_id", "version").get(pk=deal.pk)
        target = stages[1] if current.stage_id == stages[0].pk else stages[0]
        body.update(stage=target.pk, version=current.version)

    def api_move() -> None:
        ok(api.post(f"/api/v1/deals/{deal.pk}/move/", body, format="json"))

    subscriptions = [
        WebhookSubscription.objects.create(
            name=name,
            url=f"https://{name.lower()}.example.com/",
            events=[EventType.DEAL_MOVED],
            is_active=False,
        )
        for name in ("ERP", "Billing", "Chat")
    ]

    def subscribed(active: bool) -> None:
        WebhookSubscription.objects.filter(pk__in=[s.pk for s in subscriptions]).update(
            is_active=active
        )

    # Interleaved, so that the load of the machine weighs on both alike.
    timings: dict[bool, tuple[list[float], list[float]]] = {False: ([], []), True: ([], [])}
    queries = {}
    for active in (False, True):
        subscribed(active)
        next_move()
        api_move()  # warm-up
        next_move()
        with CaptureQueriesContext(connection) as captured:
            api_move()
        queries[active] = len(captured)
    for _ in range(runs):
        for active in (False, True):
            subscribed(active)
            next_move()
            wall, cpu = timings[active]
            start, start_cpu = time.perf_counter(), time.process_time()
            api_move()
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    without = summary(
        "API move between stages, no webhooks",
        timings[False][0],
        cpu_ms=timings[False][1],
        queries=queries[False],
    )
    with_three = summary(
        "API move between stages, 3 subscriptions",
        timings[True][0],
        cpu_ms=timings[True][1],
        queries=queries[True],
    )
    extra = Measure(
        "move with 3 subscriptions: extra vs none",
        with_three.median_ms - without.median_ms,
        with_three.p90_ms - without.p90_ms,
        with_three.cpu_ms - without.cpu_ms,
        with_three.queries - without.queries,
        runs,
        Target(MOVE_EXTRA_MS, queries=0),
    )
    WebhookSubscription.objects.all().delete()
    # What the moves above left for the dispatcher is not the next row's work.
    DealEvent.objects.filter(dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    return [without, with_three, extra, _bench_delivery(manager, pipeline, stages, events)]


def _bench_delivery(manager, pipeline, stages, events: int) -> Measure:
    from deals.models import DealEvent
    from deals.services.deals import deal_create
    from integrations.delivery import send_deliveries
    from integrations.dispatch import dispatch_events
    from integrations.models import EventType, WebhookDelivery, WebhookSubscription

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    saved = settings.WEBHOOKS_ALLOW_PRIVATE, settings.WEBHOOKS_ALLOW_HTTP
    settings.WEBHOOKS_ALLOW_PRIVATE = settings.WEBHOOKS_ALLOW_HTTP = True
    try:
        deals = [
            deal_create(
                user=manager,
                title=f"Delivery {n}",
                pipeline=pipeline,
                stage=stages[0],
                owner=manager,
                value=100,
            )
            for n in range(DEALS)
        ]
        DealEvent.objects.filter(dispatched_at__isnull=True).update(dispatched_at=timezone.now())
        WebhookSubscription.objects.create(
            name="Local receiver",
            url=f"http://127.0.0.1:{server.server_address[1]}/hook",
            events=[EventType.DEAL_UPDATED],
        )
        now = timezone.now()
        DealEvent.objects.bulk_create(
            DealEvent(
                deal=deals[n % DEALS],
                user=manager,
                kind=DealEvent.Kind.EDITED,
                data={"field": "title", "old": f"Old {n}", "new": f"New {n}"},
                created_at=now,
            )
            for n in range(events)
        )
        _Receiver.received = 0
        started = time.perf_counter()
        dispatch_events()
        dispatched = time.perf_counter()
        while WebhookDelivery.objects.filter(status="pending").exists():
            send_deliveries()
        elapsed = time.perf_counter() - started
        delivered = WebhookDelivery.objects.filter(status="delivered").count()
        rate = delivered / elapsed
        print(
            f"data: {events} events on {DEALS} deals, {delivered} delivered, "
            f"{_Receiver.received} received; dispatch {(dispatched - started) * 1000:.0f} ms, "
            f"send {(elapsed - (dispatched - started)) * 1000:.0f} ms: {rate:.0f} events/s "
            f"(target ≥ {EVENTS_PER_SECOND}: {'ok' if rate >= EVENTS_PER_SECOND else 'under'})"
        )
        ms_per_event = elapsed * 1000 / max(delivered, 1)
        return Measure(
            f"worker delivers {events} events (per event)",
            ms_per_event,
            ms_per_event,
            None,
            None,
            1,
            Target(1000 / EVENTS_PER_SECOND),
        )
    finally:
        settings.WEBHOOKS_ALLOW_PRIVATE, settings.WEBHOOKS_ALLOW_HTTP = saved
        server.shutdown()
        server.server_close()


def main() -> None:
    """``python -m benchmarks.webhooks``: on the benchmark database as it is (seeded)."""
    import argparse

    from benchmarks import setup

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    setup.configure_django(setup.bench_database_url())
    for result in bench_webhooks(runs=args.runs, events=args.events):
        print(result.row())


if __name__ == "__main__":
    main()
