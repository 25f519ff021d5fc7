"""A real HTTP receiver on loopback for the webhook tests (docs/domain/webhooks.md).

``receiver`` starts a ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) in a thread. It
records every request (path, headers, body) and answers what ``receiver.answer(request)``
says: a status code, or ``"timeout"`` (it waits longer than the sender's read timeout).
Loopback targets need ``WEBHOOKS_ALLOW_PRIVATE`` and ``http://`` ``WEBHOOKS_ALLOW_HTTP``,
which the fixture sets, with a short read timeout.
"""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from integrations.models import EventType, WebhookDelivery, WebhookSubscription

READ_TIMEOUT = 0.5


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answer: Callable[[Received], int | str] = lambda _request: 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[dict]:
        with self.lock:
            return [request.json for request in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            request = Received(self.path, dict(self.headers.items()), body)
            with receiver.lock:
                receiver.requests.append(request)
            answer = receiver.answer(request)
            if answer == "timeout":
                time.sleep(READ_TIMEOUT * 3)
                answer = 200
            reply = b'{"ok": true}'
            self.send_response(int(answer))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def webhook_settings(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOK_READ_TIMEOUT = READ_TIMEOUT
    settings.WEBHOOK_CONNECT_TIMEOUT = READ_TIMEOUT
    return settings


@pytest.fixture
def receiver(webhook_settings) -> Iterator[Receiver]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/crm"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def subscribe(company):
    """``subscribe(url, events=…, pipeline=…)``: an active subscription (all types unless
    told)."""

    def _subscribe(url: str, *, events=None, pipeline=None, name="ERP") -> WebhookSubscription:
        return WebhookSubscription.objects.create(
            name=name,
            url=url,
            events=list(events if events is not None else EventType.values),
            pipeline=pipeline,
            created_by=company.admin,
        )

    return _subscribe


def due_now(*deliveries: WebhookDelivery) -> None:
    """Time travel: the retries of ``deliveries`` (all pending ones if none given) are due."""
    rows = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
    if deliveries:
        rows = rows.filter(pk__in=[d.pk for d in deliveries])
    rows.update(next_attempt_at=timezone.now())
