"""One simulated rep of `make bench-load`: signs in, then drags its own cards over one
keep-alive HTTP/1.1 connection until told to stop (docs/performance/move-request.md).

Kept cheap in CPU (http.client, a regular expression) so the server gets the machine.
"""

import http.client
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

# The moved card's version, as the answer renders it (templates/deals/board.html, card).
CARD_VERSION = r'id="deal-{pk}" data-deal-id="{pk}" data-version="(\d+)"'


@dataclass
class Plan:
    """What one client moves: two cards of one column it reorders, and a card it drags
    between two stages whose move needs no checklist."""

    username: str
    password: str
    board_path: str
    reorder_stage: int
    reorder_deals: tuple[int, int]
    stage_deal: int
    stages: tuple[int, int]
    versions: dict[int, int]


@dataclass
class Tally:
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (sent at, took)
    reorders: int = 0
    stage_moves: int = 0
    errors: list[str] = field(default_factory=list)


class LoadClient:
    def __init__(self, host: str, port: int, plan: Plan) -> None:
        self.plan, self.tally = plan, Tally()
        self.connection = http.client.HTTPConnection(host, port, timeout=30)
        self.origin = f"http://{host}:{port}"
        self.cookies: dict[str, str] = {}
        self.stage_of = {plan.stage_deal: plan.stages[0]}

    def _request(self, method: str, path: str, body: dict | None, headers: dict) -> tuple:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"Cookie": cookie, **headers} if cookie else headers
        data = urlencode(body) if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, text

    def sign_in(self) -> None:
        """Through the real sign-in form; the CSRF cookie is one we make up, as a browser
        would have received it from the form page."""
        alphabet = string.ascii_letters + string.digits
        self.cookies["csrftoken"] = "".join(secrets.choice(alphabet) for _ in range(32))
        form = {
            "username": self.plan.username,
            "password": self.plan.password,
            "csrfmiddlewaretoken": self.cookies["csrftoken"],
        }
        status, text = self._request("POST", "/accounts/login/", form, {})
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{self.plan.username} could not sign in ({status}): {text[:200]}")

    def _move(self, deal_id: int, stage_id: int, extra: dict) -> None:
        body = {
            "stage": stage_id,
            "version": self.plan.versions[deal_id],
            "source": "drag",
            **extra,
        }
        headers = {
            "HX-Request": "true",
            "HX-Current-URL": self.origin + self.plan.board_path,
            "X-CSRFToken": self.cookies["csrftoken"],
        }
        started = time.perf_counter()
        status, text = self._request("POST", f"/deals/{deal_id}/move/", body, headers)
        self.tally.latencies.append((started, time.perf_counter() - started))
        found = re.search(CARD_VERSION.format(pk=deal_id), text)
        if status != 200 or found is None:
            self.tally.errors.append(f"{self.plan.username} deal {deal_id}: {status} {text[:120]}")
            return
        self.plan.versions[deal_id] = int(found.group(1))
        if stage_id != self.stage_of.get(deal_id, stage_id):
            self.stage_of[deal_id] = stage_id
            self.tally.stage_moves += 1
        else:
            self.tally.reorders += 1

    def run(self, stop: threading.Event) -> None:
        """Three reorders (each card in turn above the other), then a drag of the third
        card to the other stage, and again, until ``stop``."""
        plan, turn = self.plan, 0
        first, second = plan.reorder_deals
        while not stop.is_set():
            if turn % 4 == 3:
                target = (
                    plan.stages[1]
                    if self.stage_of[plan.stage_deal] == plan.stages[0]
                    else plan.stages[0]
                )
                self._move(plan.stage_deal, target, {})
            else:
                moving, neighbour = (first, second) if turn % 2 else (second, first)
                self._move(moving, plan.reorder_stage, {"before": neighbour})
            turn += 1
        self.connection.close()
