#!/usr/bin/env bash
# Run a command and start it again whenever it exits, until this script is told to stop.
# `make run` wraps the Celery worker and beat in it: honcho stops every process as soon as
# one exits, so a crashed or killed worker would otherwise take the web server down with it
# (docs/hardening/operations.md).
#   scripts/restart-on-exit.sh celery -A pipelinecrm worker
set -u
delay=${RESTART_DELAY_SECONDS:-2}
child=

# honcho stops its processes with SIGTERM (SIGINT on Ctrl-C): pass it on, wait, and leave.
stop() {
  trap - TERM INT
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child"
  fi
  exit 0
}
trap stop TERM INT

while true; do
  "$@" &
  child=$!
  wait "$child"
  status=$?
  child=
  echo "restart-on-exit: '$*' exited with status $status; starting it again in ${delay} s" >&2
  # In the background, so that a SIGTERM during the pause is handled at once.
  sleep "$delay" &
  child=$!
  wait "$child"
  child=
done
