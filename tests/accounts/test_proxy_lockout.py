"""Nobody can lock out somebody else (docs/hardening/accounts-security.md).

Two clients on different loopback addresses (127.0.0.2 and 127.0.0.3) sign in to the live
test server, directly or through a real nginx started here with ``TRUSTED_PROXY_COUNT=1``:
the login lockout (django-axes) and the API's token throttle (DRF) count each client by
its own address, and what a client writes into ``X-Forwarded-For`` changes nothing.
"""

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from urllib.parse import urlencode, urlparse

import pytest
from django.conf import settings
from django.test import override_settings

from tests.factories import PASSWORD
from tests.ops.servers import free_port

CLIENT_A = "127.0.0.2"
CLIENT_B = "127.0.0.3"
LOCKED = 429
WRONG = "not-the-password"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Browser:
    """A client whose requests leave from ``source`` (a loopback address), keeping cookies."""

    def __init__(self, port: int, source: str) -> None:
        self.port, self.source, self.cookies = port, source, {}

    def request(self, method: str, path: str, body: str = "", headers=None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
        )
        sent = {"Host": "localhost", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        content = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, content

    def sign_in(self, username: str, password: str, forwarded_for: str | None = None) -> int:
        """Post the login form as a person would; the answer's status."""
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        _, page = self.request("GET", "/accounts/login/", headers=headers)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": csrf, "username": username, "password": password}
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, _ = self.request("POST", "/accounts/login/", urlencode(form), headers)
        self.cookies.pop("sessionid", None)
        return status

    def obtain_token(self, username: str, forwarded_for: str | None = None) -> int:
        headers = {"Content-Type": "application/json"}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        body = f'{{"username": "{username}", "password": "{PASSWORD}"}}'
        status, _ = self.request("POST", "/api/v1/auth/token/", body, headers)
        return status


@pytest.fixture
def nginx(live_server, tmp_path):
    """A real nginx on a free loopback port in front of the live server, appending the
    client's address to X-Forwarded-For as a production proxy does."""
    upstream = urlparse(live_server.url).port
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(
        textwrap.dedent(f"""
        daemon off;
        master_process off;
        pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/error.log warn;
        events {{ worker_connections 64; }}
        http {{
            access_log off;
            client_body_temp_path {tmp_path}/body;
            proxy_temp_path {tmp_path}/proxy;
            fastcgi_temp_path {tmp_path}/fastcgi;
            uwsgi_temp_path {tmp_path}/uwsgi;
            scgi_temp_path {tmp_path}/scgi;
            server {{
                listen 127.0.0.1:{port};
                location / {{
                    proxy_pass http://127.0.0.1:{upstream};
                    proxy_set_header Host $host;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                }}
            }}
        }}
        """)
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(config)], stderr=subprocess.PIPE
    )
    try:
        for _ in range(100):
            assert process.poll() is None, process.stderr.read().decode()
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("nginx did not start listening")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def proxied(nginx, browser_company):
    """Both clients, behind one trusted proxy (as settings.py sets both from one variable)."""
    rest_framework = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with override_settings(TRUSTED_PROXY_COUNT=1, REST_FRAMEWORK=rest_framework):
        yield Browser(nginx, CLIENT_A), Browser(nginx, CLIENT_B)


@pytest.mark.processes
def test_one_variable_sets_the_proxy_count_of_the_lockout_and_the_api_throttles():
    script = (
        "from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'], s.AXES_CLIENT_IP_CALLABLE)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pipelinecrm.settings_test"}

    def read(**extra) -> str:
        return subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {script}"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()

    assert read() == ["0", "0", "pipelinecrm.client_ip.client_ip"]
    assert read(TRUSTED_PROXY_COUNT="2")[:2] == ["2", "2"]


@pytest.mark.processes
def test_behind_the_proxy_a_clients_failures_lock_that_client_only(proxied):
    attacker, owner = proxied

    answers = [attacker.sign_in("admin", WRONG) for _ in range(5)]

    assert answers[-1] == LOCKED
    assert attacker.sign_in("admin", PASSWORD) == LOCKED
    # The real admin, elsewhere on the internet, still signs in.
    assert owner.sign_in("admin", PASSWORD) == 302


@pytest.mark.processes
def test_a_forged_forwarded_for_neither_escapes_nor_restarts_the_count(proxied):
    attacker, owner = proxied
    for _ in range(3):
        assert attacker.sign_in("admin", WRONG) == 200

    # Pretending to be new addresses (or the owner's) does not open a fresh count...
    assert attacker.sign_in("admin", WRONG, forwarded_for="203.0.113.9") == 200
    assert attacker.sign_in("admin", WRONG, forwarded_for=CLIENT_B) == LOCKED
    assert attacker.sign_in("admin", PASSWORD, forwarded_for="198.51.100.7") == LOCKED
    # ...and does not lock out the address it names.
    assert owner.sign_in("admin", PASSWORD) == 302


@pytest.mark.processes
def test_the_owners_success_does_not_reset_another_clients_count(proxied):
    attacker, owner = proxied
    for _ in range(4):
        assert attacker.sign_in("admin", WRONG) == 200

    # A success from elsewhere, even one claiming the attacker's address, resets only
    # its own client's count.
    assert owner.sign_in("admin", PASSWORD, forwarded_for=CLIENT_A) == 302

    assert attacker.sign_in("admin", WRONG) == LOCKED


@pytest.mark.processes
def test_the_api_token_throttle_counts_each_client_behind_the_proxy(proxied):
    attacker, owner = proxied

    answers = [attacker.obtain_token("rep1") for _ in range(5)]
    forged = attacker.obtain_token("rep1", forwarded_for="203.0.113.9")

    assert answers == [201] * 5
    assert forged == LOCKED
    assert owner.obtain_token("rep2") == 201


def test_served_directly_the_forwarded_for_header_is_ignored(live_server, browser_company):
    port = urlparse(live_server.url).port
    attacker, owner = Browser(port, CLIENT_A), Browser(port, CLIENT_B)

    answers = [attacker.sign_in("admin", WRONG, forwarded_for=f"203.0.113.{n}") for n in range(5)]

    assert answers[-1] == LOCKED
    assert attacker.sign_in("admin", PASSWORD, forwarded_for="198.51.100.7") == LOCKED
    assert owner.sign_in("admin", PASSWORD) == 302
