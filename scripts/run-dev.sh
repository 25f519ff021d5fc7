#!/usr/bin/env bash
# The last step of `make run`: Procfile.dev under honcho (web server, worker, beat) on PORT.
#   PORT=8001 scripts/run-dev.sh
# Checks the port first, because honcho stops every process once the web server fails to
# bind; ends with status 0 on Ctrl-C, the normal way to stop it.
set -u
cd "$(dirname "$0")/.."
# Procfile.dev reads WEB_PORT: honcho hands every process a PORT of its own (5000, 5100…).
export WEB_PORT=${PORT:-8000}

if ! python - "$WEB_PORT" <<'PY'
import socket
import sys

with socket.socket() as probe:
    # As runserver binds: an old connection in TIME_WAIT does not make the port taken.
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
PY
then
  echo "error: port $WEB_PORT is taken (by another 'make run'?); pick another: make run PORT=8001" >&2
  exit 1
fi

# The terminal sends Ctrl-C's SIGINT to honcho as well; remember it and let honcho finish.
stopped=
trap 'stopped=1' INT TERM
honcho start -f Procfile.dev
status=$?
if [ -n "$stopped" ] || [ "$status" -eq 130 ]; then
  exit 0
fi
exit "$status"
