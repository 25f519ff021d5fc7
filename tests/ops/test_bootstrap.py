"""scripts/bootstrap.sh installs uv into .venv, never into the Python it found on the machine.

The script runs in a temporary copy of the repository with a PATH of its own: a fake
``python3.14`` (and, in one test, a fake ``uv``) that write down each call instead of
installing anything, plus the few real tools the script needs.
"""

import shutil
import subprocess
from pathlib import Path

from tests.ops.servers import BASE_DIR

# Answers as a Python >= 3.12 would; `-m venv DIR` creates DIR/bin/python as a copy of
# itself, so calls through the venv's Python are written down under its absolute path.
FAKE_PYTHON = """#!/bin/sh
case "$0" in /*) me=$0;; *) me=$PWD/$0;; esac
echo "$me $*" >> "$CALLS"
case "$*" in
  "-m venv"*) dir=$(eval echo \\${$#}); mkdir -p "$dir/bin"; cp "$0" "$dir/bin/python";;
  "-m uv --version"|"-m pip --version") exit 1;;
esac
exit 0
"""
FAKE_UV = """#!/bin/sh
echo "$0 $*" >> "$CALLS"
if [ "$1" = venv ]; then mkdir -p .venv/bin; cp "$(dirname "$0")/python3.14" .venv/bin/python; fi
exit 0
"""
REAL_TOOLS = ("dirname", "mkdir", "cp", "ls", "sort", "cat")


def run_bootstrap(tmp_path: Path, *, uv_on_path: bool) -> list[str]:
    repo, bin_dir = tmp_path / "repo", tmp_path / "bin"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(BASE_DIR / "scripts" / "bootstrap.sh", repo / "scripts")
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    fakes = {"python3.14": FAKE_PYTHON} | ({"uv": FAKE_UV} if uv_on_path else {})
    for name, script in fakes.items():
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    calls = tmp_path / "calls"
    subprocess.run(
        [shutil.which("bash"), str(repo / "scripts" / "bootstrap.sh")],
        cwd=tmp_path,
        env={"PATH": str(bin_dir), "CALLS": str(calls), "HOME": str(tmp_path)},
        check=True,
        timeout=60,
    )
    return calls.read_text().splitlines()


def test_without_uv_it_creates_the_venv_and_installs_uv_into_it(tmp_path):
    calls = run_bootstrap(tmp_path, uv_on_path=False)

    machine_python = str(tmp_path / "bin" / "python3.14")
    venv_python = str(tmp_path / "repo" / ".venv" / "bin" / "python")
    asked_of_the_machine = [
        call.removeprefix(machine_python).split()[:2]
        for call in calls
        if call.startswith(machine_python)
    ]
    assert {tuple(args) for args in asked_of_the_machine} <= {("-c", "import"), ("-m", "venv")}
    assert [call for call in calls if " -m pip install" in call] == [
        f"{venv_python} -m pip install --quiet uv"
    ]
    assert calls[-1].startswith(f"{venv_python} -m uv sync --quiet --frozen")


def test_with_uv_on_path_it_uses_that_uv_and_pip_installs_nothing(tmp_path):
    calls = run_bootstrap(tmp_path, uv_on_path=True)

    assert not [call for call in calls if " pip " in call]
    assert calls[-1] == f"{tmp_path / 'bin' / 'uv'} sync --quiet --frozen"
