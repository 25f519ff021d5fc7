"""Print the sign-in line of `make run` again once the web server answers.

The first copy, printed before honcho starts, scrolls away under the worker's and beat's
start-up output; this one comes last. It runs as a process of Procfile.dev, so it stays
alive after printing: honcho stops every process as soon as one exits.
"""

import os
import signal
import sys
import time
import urllib.error
import urllib.request


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local server)
            return True
    except urllib.error.HTTPError:
        return True  # it answered, even if /healthz reports a broken part
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def main() -> None:
    # honcho stops its processes with SIGTERM (SIGINT on Ctrl-C): a normal end, status 0.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: sys.exit(0))
    base = f"http://127.0.0.1:{os.environ['WEB_PORT']}"
    while not answers(f"{base}/healthz"):
        time.sleep(0.5)
    password = os.environ.get("DEMO_PASSWORD", "demo1234")
    print(f"Ready: open {base} and sign in as rep1, manager or admin with password {password}")
    sys.stdout.flush()
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
