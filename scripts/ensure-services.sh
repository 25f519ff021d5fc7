#!/usr/bin/env bash
# make test needs PostgreSQL and Redis. Use the running ones, else start them with Docker,
# else say exactly how to provide them.
set -euo pipefail
cd "$(dirname "$0")/.."
check() { .venv/bin/python scripts/services.py 2>/dev/null; }

check && exit 0
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "Starting PostgreSQL and Redis with docker compose…"
  docker compose -f docker-compose.yml -f docker-compose.dev.yml up -d db redis
  for _ in $(seq 1 30); do check && exit 0; sleep 1; done
fi
.venv/bin/python scripts/services.py || true
cat >&2 <<'MSG'

make test needs PostgreSQL and Redis. Provide them in one of these ways:
  - start local servers (e.g. 'pg_ctlcluster 15 main start' and 'redis-server --daemonize yes'),
  - or run 'docker compose -f docker-compose.yml -f docker-compose.dev.yml up -d db redis' with Docker,
  - or point DATABASE_URL=postgres://user@host:5432/pipelinecrm and REDIS_URL=redis://host:6379/0
    at servers you have (the user must be allowed to create the test database).
MSG
exit 1
