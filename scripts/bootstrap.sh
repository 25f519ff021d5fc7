#!/usr/bin/env bash
# Create .venv from uv.lock with a Python >= 3.12 found on this machine (never downloaded),
# with the uv on PATH, else with a uv installed into .venv itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never

is_312() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

find_python() {
  if command -v pyenv >/dev/null 2>&1; then
    local root cand
    root=$(pyenv root)
    for cand in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3.1[2-9] 2>/dev/null | sort -rV); do
      if is_312 "$cand"; then echo "$cand"; return 0; fi
    done
  fi
  for cand in python3.14 python3.13 python3.12 python3; do
    if command -v "$cand" >/dev/null 2>&1 && is_312 "$(command -v "$cand")"; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}

PYTHON=$(find_python) || {
  echo "error: PipelineCRM needs Python 3.12 or newer; install it (e.g. 'pyenv install 3.12') and retry." >&2
  exit 1
}

if command -v uv >/dev/null 2>&1; then
  if [ ! -x .venv/bin/python ] || ! is_312 .venv/bin/python; then
    uv venv --quiet --python "$PYTHON" .venv
  fi
  uv sync --quiet --frozen "$@"
else
  # No uv on this machine: install it into .venv, never into the Python found above.
  if [ ! -x .venv/bin/python ] || ! is_312 .venv/bin/python; then
    "$PYTHON" -m venv --clear .venv
  fi
  .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --upgrade >/dev/null
  .venv/bin/python -m uv --version >/dev/null 2>&1 || .venv/bin/python -m pip install --quiet uv
  # uv is a dev dependency in uv.lock, so the exact sync keeps it in .venv for next time.
  .venv/bin/python -m uv sync --quiet --frozen "$@"
fi
