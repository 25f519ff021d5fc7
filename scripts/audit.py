"""`make audit`: the locked dependencies against known vulnerabilities (pip-audit).

Every package pinned in uv.lock (runtime and dev) is checked, as locked, without installing
anything, against PyPI's vulnerability data. The outcome decides the exit status
(docs/hardening/operations.md):

- a known vulnerability: exit 1, naming the package, its advisory ids and the fixed versions;
- the data cannot be reached (network or service error, or PyPI cannot answer for the
  packages): exit 0, saying plainly that nothing, or what, was not audited;
- pip-audit failing for any other reason (a broken requirement, a bug): exit 2, since an audit
  that cannot run must not pass silently.

    python scripts/audit.py [-r requirements.txt] [pip-audit options, e.g. -s osv]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"
# What requests/urllib3 and pip-audit print when the vulnerability service cannot be reached.
UNREACHABLE_MARKERS = (
    "ConnectionError",
    "ProxyError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Could not connect",
    "ServiceError",
    "SSLError",
)

VULNERABLE, UNREACHABLE_OK, CLEAN, BROKEN = 1, 0, 0, 2


@dataclass(frozen=True)
class Verdict:
    status: int
    message: str


def locked_requirements(lock: Path) -> list[str]:
    """``name==version`` for each package uv.lock takes from a registry (not the project)."""
    packages = tomllib.loads(lock.read_text())["package"]
    return sorted(
        f"{package['name']}=={package['version']}"
        for package in packages
        if "registry" in package.get("source", {})
    )


def judge(*, returncode: int, report: str, output: str) -> Verdict:
    """The decision, from pip-audit's exit status, its JSON report and its other output."""
    try:
        dependencies = json.loads(report)["dependencies"]
    except (ValueError, KeyError, TypeError):
        # No report: pip-audit stopped before auditing anything.
        last_line = output.strip().splitlines()[-1] if output.strip() else "no output"
        if any(marker in output for marker in UNREACHABLE_MARKERS):
            return Verdict(
                UNREACHABLE_OK,
                "audit: the vulnerability data could not be reached; NOT AUDITED "
                f"(not failing).\n  {last_line}",
            )
        return Verdict(BROKEN, f"audit: pip-audit failed (exit {returncode}).\n{output}")

    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            aliases = f" ({', '.join(sorted(vuln['aliases']))})" if vuln.get("aliases") else ""
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(
                f"  {dep['name']} {dep['version']}: {vuln['id']}{aliases}; fixed in {fixed}"
            )
    if skipped:
        names = ", ".join(f"{dep['name']} {dep.get('version', '')}".strip() for dep in skipped)
        reason = skipped[0]["skip_reason"]
        lines.append(
            f"  not audited, the data could not be had for {len(skipped)} of "
            f"{len(dependencies)} package(s): {names}\n  (e.g. {reason})"
        )
    detail = "\n".join(lines)
    if vulnerable:
        return Verdict(
            VULNERABLE,
            f"audit: known vulnerabilities in {len(vulnerable)} locked package(s):\n{detail}",
        )
    if skipped and len(skipped) == len(dependencies):
        return Verdict(
            UNREACHABLE_OK,
            f"audit: the vulnerability data could not be reached; NOT AUDITED (not failing).\n"
            f"{detail}",
        )
    audited = len(dependencies) - len(skipped)
    summary = f"audit: no known vulnerabilities in {audited} locked package(s)."
    return Verdict(CLEAN, f"{summary}\n{detail}" if detail else summary)


def audit(requirements: Path, pip_audit_options: list[str]) -> Verdict:
    with tempfile.TemporaryDirectory() as workdir:
        report = Path(workdir) / "report.json"
        result = subprocess.run(  # noqa: S603 (our own fixed command line)
            [
                str(PIP_AUDIT),
                "--requirement",
                str(requirements),
                "--disable-pip",
                "--no-deps",
                "--progress-spinner",
                "off",
                "--vulnerability-service",
                "pypi",
                *pip_audit_options,
                "--format",
                "json",
                "--output",
                str(report),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return judge(
            returncode=result.returncode,
            report=report.read_text() if report.exists() else "",
            output=result.stdout + result.stderr,
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--requirements", type=Path, help="instead of uv.lock")
    options, pip_audit_options = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        requirements = options.requirements
        if requirements is None:
            requirements = Path(workdir) / "locked.txt"
            requirements.write_text("\n".join(locked_requirements(BASE_DIR / "uv.lock")) + "\n")
        verdict = audit(requirements, pip_audit_options)
    print(verdict.message)
    return verdict.status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
