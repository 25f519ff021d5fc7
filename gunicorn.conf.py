"""gunicorn settings for PipelineCRM, used by the Dockerfile and docker-compose.yml.

Every value can be overridden by an environment variable; docs/hardening/operations.md
explains each choice. Command-line options still win over this file.
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _cores() -> int:
    # The cores this process may run on (a cpuset limit), not the host's; a CPU quota set
    # by the container runtime is not visible here: set WEB_CONCURRENCY then.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Threads let a worker keep serving while one request waits on PostgreSQL, and (unlike the
# sync worker) hold idle keep-alive connections from the proxy without blocking a worker.
worker_class = "gthread"
# The classic 2 × cores + 1: requests mostly wait on the database, so a core serves two.
workers = _int("WEB_CONCURRENCY", 2 * _cores() + 1)
threads = _int("GUNICORN_THREADS", 2)

# A worker silent for this long is killed and replaced; requests are short (imports and
# recomputes run in Celery), so 30 s is only ever reached by a hung worker.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a deploy, `docker compose stop`), requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than the 60 s idle timeout of common proxies and load balancers, so the proxy
# closes an idle connection first and never sends a request on one gunicorn just closed.
keepalive = _int("GUNICORN_KEEPALIVE", 75)

# Recycle a worker after this many requests (± jitter, so they do not all restart at once):
# a slow leak in any library cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Oversized request lines and headers are refused with 400 before Django sees them.
limit_request_line = _int("GUNICORN_LIMIT_REQUEST_LINE", 4094)
limit_request_fields = _int("GUNICORN_LIMIT_REQUEST_FIELDS", 100)
limit_request_field_size = _int("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", 8190)

# Addresses whose X-Forwarded-Proto/For gunicorn believes (the TLS proxy in front).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr, where docker and honcho collect them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# The workers' heartbeat files: on tmpfs when there is one, since a container's overlay
# filesystem can stall the heartbeat and get healthy workers killed.
SHARED_MEMORY = "/dev/shm"  # noqa: S108 (a directory, not a predictable file name)
if os.path.isdir(SHARED_MEMORY):
    worker_tmp_dir = SHARED_MEMORY
