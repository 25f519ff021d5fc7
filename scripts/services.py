"""Are PostgreSQL and Redis reachable at DATABASE_URL / REDIS_URL? Exit 0 if both are."""

import os
import sys

import psycopg
import redis

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    problems = []
    try:
        # The test database is created next to this one; "postgres" always exists.
        conninfo = psycopg.conninfo.conninfo_to_dict(database_url)
        conninfo["dbname"] = "postgres"
        psycopg.connect(**conninfo, connect_timeout=3).close()
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL at {database_url}: {exc}".strip())
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis at {redis_url}: {exc}")
    for problem in problems:
        print(f"unreachable: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
