"""The board page in a real browser: Debian's headless Chromium, driven by Playwright,
against gunicorn with the production configuration (gunicorn.conf.py) on loopback.

Measured per load, from navigation start (``performance.timeOrigin``): until the board is
interactive, which is DOMContentLoaded *and* board.js having made every column sortable
(it marks each ``[data-cards]`` list ``data-sortable="1"`` as it creates its Sortable).
"""

import os
import tempfile
from pathlib import Path

from benchmarks.server import production_server, set_password
from benchmarks.timing import Measure, Target, summary

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 20_000
SERVER_START_S = 60
WARM_UP_LOADS = 2
TARGET = Target(300)

# Installed before any page script: records when the board became interactive.
INTERACTIVE_PROBE = """
(() => {
  const check = () => {
    if (window.__boardInteractive !== undefined || document.readyState === "loading") return;
    const lists = document.querySelectorAll("[data-cards]");
    if (lists.length && [...lists].every((list) => list.dataset.sortable === "1")) {
      window.__boardInteractive = performance.now();
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true, attributes: true, attributeFilter: ["data-sortable"],
  });
  document.addEventListener("DOMContentLoaded", () => setTimeout(check));
})();
"""
TIMES = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const loaded = nav.domContentLoadedEventEnd;
  return [nav.responseStart, loaded, Math.max(loaded, window.__boardInteractive)];
}"""


def bench_browser(*, password: str, runs: int) -> tuple[Measure, str]:
    """The Sales board's load time in the browser for North's manager (after a login and
    warm-up loads), and a line with where that time goes."""
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    from pipelines.models import Pipeline

    board_path = reverse("board-pipeline", args=[Pipeline.objects.get(name="Sales").pk])

    responses, loaded, interactive = [], [], []
    set_password("manager", password)
    log = Path(tempfile.gettempdir()) / f"bench-browser-gunicorn-{os.getpid()}.log"
    with production_server(log, static=True) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.add_init_script(INTERACTIVE_PROBE)
            page.goto(f"{url}/accounts/login/")
            page.get_by_label("Username").fill("manager")
            page.get_by_label("Password", exact=True).fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda address: "/accounts/login/" not in address)
            for load in range(WARM_UP_LOADS + runs):
                page.goto(url + board_path, wait_until="domcontentloaded")
                page.wait_for_function("window.__boardInteractive !== undefined")
                times = page.evaluate(TIMES)
                if load >= WARM_UP_LOADS:
                    for series, value in zip((responses, loaded, interactive), times, strict=True):
                        series.append(value)
        finally:
            browser.close()
    result = summary("browser: board page interactive (Chromium)", interactive, target=TARGET)
    medians = [summary("", series).median_ms for series in (responses, loaded)]
    detail = (
        f"  browser medians from navigation start: first byte {medians[0]:.0f} ms, "
        f"DOMContentLoaded {medians[1]:.0f} ms, interactive {result.median_ms:.0f} ms"
    )
    return result, detail
