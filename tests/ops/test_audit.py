"""`make audit` (scripts/audit.py): real pip-audit runs, judged by the wrapper
(docs/hardening/operations.md).

The machines reach PyPI but no other vulnerability service, so the "known vulnerability"
case runs pip-audit against a local server speaking the OSV query API (pip-audit's
``--osv-url``), answering with the real advisory of Jinja2 2.10.
"""

import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.audit import locked_requirements
from tests.ops.servers import BASE_DIR, free_port

pytestmark = pytest.mark.processes

JINJA2_ADVISORY = {
    "id": "PYSEC-2019-217",
    "aliases": ["CVE-2019-10906", "GHSA-462w-v97r-4m45"],
    "summary": "Jinja2 2.10 sandbox escape via str.format_map",
    "affected": [
        {
            "package": {"name": "jinja2", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}],
        }
    ],
}


class OsvQueries(BaseHTTPRequestHandler):
    """POST /v1/query {"package": {"name", "ecosystem"}, "version"} → {"vulns": [...]}."""

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        affected = (query["package"]["name"], query["version"]) == ("jinja2", "2.10")
        body = json.dumps({"vulns": [JINJA2_ADVISORY]} if affected else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def osv_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OsvQueries)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()
    server.server_close()


def run_audit(
    tmp_path: Path, *requirements: str, options=(), **env: str
) -> subprocess.CompletedProcess[str]:
    file = tmp_path / "requirements.txt"
    file.write_text("\n".join(requirements) + "\n")
    return subprocess.run(
        [sys.executable, "scripts/audit.py", "-r", str(file), *options],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_known_vulnerability_fails_with_its_advisory_id(tmp_path, osv_url):
    result = run_audit(
        tmp_path, "jinja2==2.10", "idna==3.10", options=["-s", "osv", "--osv-url", osv_url]
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "known vulnerabilities in 1 locked package(s)" in result.stdout
    assert "jinja2 2.10: PYSEC-2019-217 (CVE-2019-10906, GHSA-462w-v97r-4m45)" in result.stdout
    assert "fixed in 2.10.1" in result.stdout


def test_no_known_vulnerability_passes(tmp_path, osv_url):
    result = run_audit(
        tmp_path, "jinja2==3.1.6", "idna==3.10", options=["-s", "osv", "--osv-url", osv_url]
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no known vulnerabilities in 2 locked package(s)" in result.stdout


@pytest.mark.parametrize("where", ["https proxy", "osv url"])
def test_unreachable_vulnerability_data_is_reported_and_does_not_fail(tmp_path, where):
    closed = f"http://127.0.0.1:{free_port()}"
    if where == "https proxy":
        result = run_audit(tmp_path, "jinja2==2.10", HTTPS_PROXY=closed, https_proxy=closed)
    else:
        result = run_audit(
            tmp_path, "jinja2==2.10", options=["-s", "osv", "--osv-url", f"{closed}/v1/query"]
        )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "the vulnerability data could not be reached; NOT AUDITED" in result.stdout
    assert "Connection refused" in result.stdout


def test_packages_pypi_cannot_answer_for_are_not_passed_as_clean(tmp_path):
    """PyPI's vulnerability data is per released version; one it does not know is not
    audited, and the run says so rather than reporting it clean."""
    result = run_audit(tmp_path, "pipelinecrm-no-such-package-on-pypi==1.0")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "NOT AUDITED" in result.stdout
    assert "no known vulnerabilities" not in result.stdout


def test_an_audit_that_cannot_run_fails(tmp_path):
    result = run_audit(tmp_path, "this is not a requirement!!")

    assert result.returncode == 2
    assert "pip-audit failed" in result.stdout


def test_every_package_of_the_lock_file_is_audited():
    lock = tomllib.loads((BASE_DIR / "uv.lock").read_text())["package"]
    from_registry = {p["name"]: p["version"] for p in lock if "registry" in p.get("source", {})}

    requirements = locked_requirements(BASE_DIR / "uv.lock")

    assert len(requirements) == len(from_registry)
    assert f"django=={from_registry['django']}" in requirements
    assert f"pip-audit=={from_registry['pip-audit']}" in requirements, "dev tools too"
    assert not any(line.startswith("pipelinecrm==") for line in requirements)


def test_make_audit_runs_in_ci_after_the_tests():
    makefile = (BASE_DIR / "Makefile").read_text()
    ci = (BASE_DIR / ".ci" / "run").read_text()

    assert re.search(r"^audit: venv\n\t\$\(PY\) scripts/audit.py$", makefile, re.MULTILINE)
    assert re.search(r'@echo "make audit +', makefile)
    assert re.search(r"^make test\n(#.*\n)*make audit$", ci, re.MULTILINE)
