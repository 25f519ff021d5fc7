"""Settings, from the environment only.

With nothing set, the app runs on embedded defaults (SQLite and a file-based Celery broker
in ``var/``, local-memory cache, console email) so ``make run`` needs no services.
``DATABASE_URL`` / ``REDIS_URL`` switch to PostgreSQL and Redis. ``DEBUG=0`` is production
and passes ``manage.py check --deploy``.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Where the embedded defaults keep their files (SQLite database, file broker, beat state).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for a development key).")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# -- Company-wide notions (docs/domain/deals.md: one time zone, one currency) -------------
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True
CURRENCY = env.str("CURRENCY", default="EUR").upper()
if not re.fullmatch(r"[A-Z]{3}", CURRENCY):
    raise ImproperlyConfigured(f"CURRENCY must be an ISO 4217 code such as EUR, not {CURRENCY!r}.")

# -- Languages (docs/i18n.md): the user's own, else the browser's, else the company's -----
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("nl", "Nederlands")]
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be one of en, de, nl, not {LANGUAGE_CODE!r}.")
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# -- Applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "pipelines",
    "deals",
    "forecasting",
    "integrations",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pipelinecrm.urls"
WSGI_APPLICATION = "pipelinecrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pipelinecrm.context_processors.company",
            ],
            # Every template may translate and print amounts without a {% load %}.
            "builtins": ["django.templatetags.i18n", "pipelinecrm.templatetags.formatting"],
        },
    },
    {
        # Only for templates rendered hundreds of times a page (the board's cards), from
        # each app's jinja2/ folder: docs/decisions/0011-jinja2-for-board-cards.md.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "pipelinecrm.jinja_env.environment"},
    },
]

# -- Database ----------------------------------------------------------------------------
if "DATABASE_URL" in env:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles each heavy statement afresh (100–300 ms measured on the
        # dashboards' aggregates) and never pays back on queries that run in milliseconds;
        # parallel workers cost more to start than the board's statements take
        # (docs/decisions/0004-postgresql-jit-off.md, 0012-no-parallel-workers-per-statement.md).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            "-c jit=off -c max_parallel_workers_per_gather=0"
        )
else:
    # SQLite is only the zero-setup default of `make run`: WAL lets the worker read while
    # the web app writes, IMMEDIATE transactions take the write lock up front (no upgrade
    # deadlocks) and the busy timeout lets the three processes queue instead of failing.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
    # PostgreSQL enforces the deferred position constraints; on SQLite the services do.
    # The dashboards' covering indexes are PostgreSQL's; SQLite keeps their key columns.
    SILENCED_SYSTEM_CHECKS = ["models.W038", "models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Redis: broker and cache -------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    # A job taken by a worker that dies before acknowledging it goes back to the queue after
    # this many seconds; keep it above FORECAST_DEBOUNCE_SECONDS and the task time limits.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # A broker that vanishes without closing the TCP connection (failover, NAT, a
        # container moved) must still fail a blocked command, so the worker reconnects.
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=30.0),
        "socket_keepalive": True,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "processed_folder": str(broker_dir / "processed"),
        "store_processed": False,
    }

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# A request that enqueues must not hang when the
# broker is down (docs/domain/stalls-and-forecast.md).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Reconnect to a restarted broker forever: Celery's default gives up after 100 attempts and
# the worker exits, which stops every periodic job (docs/hardening/faults.md).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A job running when the connection drops finishes (Celery 6 will cancel it instead): the
# jobs are idempotent, so a redelivery after the visibility timeout does no harm either way.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# -- Background jobs (docs/domain/stalls-and-forecast.md) ---------------------------------
# django-celery-beat does not support Django 6.1: the schedule lives here, each interval set
# by an environment variable, as plain data the admin's schedules page lists. A periodic run
# that waits longer than its interval expires: the next one does the same work.
_PERIODIC_JOBS = [
    # (entry name, task, variable, default minutes; fractions allowed)
    ("flag stalled deals", "forecasting.tasks.flag_stalled_deals", "STALL_CHECK_MINUTES", 15),
    ("apply retention", "forecasting.tasks.apply_retention", "RETENTION_MINUTES", 24 * 60),
    (
        "recompute forecasts",
        "forecasting.tasks.recompute_forecasts",
        "FORECAST_RECOMPUTE_MINUTES",
        60,
    ),
    ("remind activities", "forecasting.tasks.remind_activities", "ACTIVITY_REMINDER_MINUTES", 5),
    (
        "sweep dirty forecasts",
        "forecasting.tasks.recompute_dirty_forecasts",
        "DIRTY_FORECAST_SWEEP_MINUTES",
        2,
    ),
    # Import housekeeping (docs/hardening/imports.md).
    ("sweep stalled imports", "deals.tasks.import_sweep", "IMPORT_SWEEP_MINUTES", 5),
    ("delete old import files", "deals.tasks.import_purge_files", "IMPORT_PURGE_MINUTES", 24 * 60),
]
CELERY_BEAT_SCHEDULE = {}
BEAT_SCHEDULE_ENV_VARS = {}
for _name, _task, _variable, _default in _PERIODIC_JOBS:
    _minutes = env.float(_variable, default=_default)
    CELERY_BEAT_SCHEDULE[_name] = {
        "task": _task,
        "schedule": timedelta(minutes=_minutes),
        "options": {"expires": _minutes * 60},
    }
    BEAT_SCHEDULE_ENV_VARS[_name] = _variable
# Webhooks (docs/domain/webhooks.md): the dispatcher and the sender run every few seconds
# (a change also rings the dispatcher at once), so their intervals are in seconds.
for _name, _task, _variable, _default in [
    (
        "dispatch webhook events",
        "integrations.tasks.dispatch_events",
        "WEBHOOK_DISPATCH_SECONDS",
        10,
    ),
    ("send webhook deliveries", "integrations.tasks.send_deliveries", "WEBHOOK_SEND_SECONDS", 10),
]:
    _seconds = env.float(_variable, default=_default)
    CELERY_BEAT_SCHEDULE[_name] = {
        "task": _task,
        "schedule": timedelta(seconds=_seconds),
        "options": {"expires": _seconds},
    }
    BEAT_SCHEDULE_ENV_VARS[_name] = _variable
# However many beat processes run, only the one holding a PostgreSQL advisory lock sends.
CELERY_BEAT_SCHEDULER = "pipelinecrm.beat:SingleBeatScheduler"
# Deal changes within this many seconds of the first one cost a single forecast recompute.
FORECAST_DEBOUNCE_SECONDS = env.int("FORECAST_DEBOUNCE_SECONDS", default=60)
# Retention (docs/hardening/operations.md): forecast snapshots older than this many days are
# thinned to one a day; read notifications older than this many days are deleted.
SNAPSHOT_THIN_AFTER_DAYS = env.int("SNAPSHOT_THIN_AFTER_DAYS", default=730)
READ_NOTIFICATION_RETENTION_DAYS = env.int("READ_NOTIFICATION_RETENTION_DAYS", default=90)
# A forecast claim older than this belongs to a killed worker: its pipelines are marked dirty
# again. Keep it above recompute_dirty_forecasts' hard time limit (360 s).
FORECAST_CLAIM_TIMEOUT_SECONDS = env.int("FORECAST_CLAIM_TIMEOUT_SECONDS", default=600)

# -- Webhooks (docs/domain/webhooks.md) ---------------------------------------------------
# Development and tests only: allow http:// targets, and targets on private, loopback or
# link-local addresses (production refuses both: no server-side request forgery).
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=5.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=10.0)
# Retries: 10 s, 20 s, 40 s, … (plus jitter) up to an hour apart, for 24 hours.
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24.0)
# Failed attempts in a row (no 2xx between) that pause a subscription.
WEBHOOK_PAUSE_AFTER_FAILURES = env.int("WEBHOOK_PAUSE_AFTER_FAILURES", default=10)
# Deliveries sent at the same time by one sender run (threads, keep-alive per host).
WEBHOOK_SEND_CONCURRENCY = env.int("WEBHOOK_SEND_CONCURRENCY", default=8)

# -- Email -------------------------------------------------------------------------------
# Development prints mail to the console; production defaults to Django's classic SMTP relay
# on localhost:25 so that mail is never silently dropped (check --deploy refuses the console).
EMAIL_URL = env.str("EMAIL_URL", default="" if DEBUG else "smtp://localhost:25")
if EMAIL_URL:
    _smtp = env.email_url_config(EMAIL_URL)
    MAILERS = {
        "default": {
            "BACKEND": _smtp["EMAIL_BACKEND"],
            "OPTIONS": {
                "host": _smtp.get("EMAIL_HOST"),
                "port": _smtp.get("EMAIL_PORT"),
                "username": _smtp.get("EMAIL_HOST_USER") or None,
                "password": _smtp.get("EMAIL_HOST_PASSWORD") or None,
                "use_tls": _smtp.get("EMAIL_USE_TLS", False),
                "use_ssl": _smtp.get("EMAIL_USE_SSL", False),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PipelineCRM <crm@localhost>")
# Production relays password resets through localhost by default, but only an explicit
# EMAIL_URL means "also email notifications" (stalled deals, reminders, reassignments).
EMAIL_NOTIFICATIONS = bool(env.str("EMAIL_URL", default=""))

# -- Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: its password_changed hook revokes the user's API tokens on every path.
    {"NAME": "accounts.password_change.RevokeApiTokensOnPasswordChange"},
]
# Login rate limit: after 5 failures for one username from one address, 15 minutes' pause.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Reverse proxies in front of the app that append to X-Forwarded-For (compose: 1). The login
# lockout, the API throttles and the password-reset limits count the address this many hops
# from the right of that header; 0 ignores the header (docs/hardening/accounts-security.md).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "pipelinecrm.client_ip.client_ip"
# Password-reset requests per client address and per email address typed, per window.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int("PASSWORD_RESET_LIMIT_PER_ADDRESS", default=10)
PASSWORD_RESET_LIMIT_PER_ACCOUNT = env.int("PASSWORD_RESET_LIMIT_PER_ACCOUNT", default=3)
PASSWORD_RESET_WINDOW_MINUTES = env.int("PASSWORD_RESET_WINDOW_MINUTES", default=60)

# -- Static files ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# -- Security ----------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache (Redis in production) and written through to the
# database: one query less on every signed-in request (docs/performance/move-request.md).
# Signing out everywhere on a password change rests on the session's auth hash, and a
# deactivated user's sessions on the authentication backend refusing inactive users; both
# are checked on each request, whatever stores the session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Off only where the app is served over plain HTTP on a trusted network (the tests).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = env.bool(
        "SECURE_COOKIES", default=True
    )
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; failures and lockouts are WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}

# -- REST API (docs/domain/api.md) --------------------------------------------------------
# JSON only: other content types answer 415 and other Accept headers 406, so the schema
# offers application/json alone and generated clients work unmodified.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials answers 401 with WWW-Authenticate.
        "accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "pipelinecrm.api_base.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "pipelinecrm.api_base.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "pipelinecrm.api.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"api-token": env.str("API_TOKEN_RATE", default="5/min")},
    # The same client address as the login lockout (pipelinecrm/client_ip.py).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PipelineCRM API",
    "DESCRIPTION": "Deals, pipelines and forecasts. Authenticate with `Authorization: Token <key>`"
    " (POST /api/v1/auth/token/) or a session.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DealStatusEnum": "deals.models.Deal.Status",
        "ActivityKindEnum": "pipelines.models.ActivityKind",
        "ChecklistItemKindEnum": "pipelines.models.ChecklistItem.Kind",
        "DealEventKindEnum": "deals.models.DealEvent.Kind",
        "WebhookDeliveryStatusEnum": "integrations.models.WebhookDelivery.Status",
        "WebhookEventTypeEnum": "integrations.models.EventType",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pipelinecrm.api_base.document_common_responses",
        "deals.api.custom_fields_schema.describe_custom_fields",
    ],
    # Served from the sidecar package: no CDN (docs/architecture.md).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "persistAuthorization": False},
}

# API tokens a user may hold at once, not counting expired ones.
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=20)

# -- Product settings --------------------------------------------------------------------
# A column's first cards, then each page loaded as the user scrolls to its end: a short
# first page keeps the board quick to open (docs/performance/board-page.md).
BOARD_FIRST_PAGE_SIZE = env.int("BOARD_FIRST_PAGE_SIZE", default=20)
BOARD_PAGE_SIZE = env.int("BOARD_PAGE_SIZE", default=50)
LIVE_REFRESH_SECONDS = env.float("LIVE_REFRESH_SECONDS", default=15)
# How far in the future a done time may lie (clocks differ): docs/hardening/gate-activities.md.
ACTIVITY_CLOCK_SKEW_MINUTES = env.int("ACTIVITY_CLOCK_SKEW_MINUTES", default=5)
# CSV import (docs/domain/imports.md): the largest file accepted, and rows per committed batch (the
# progress bar moves once per batch; a retried job resumes after the last one).
IMPORT_MAX_MB = env.int("IMPORT_MAX_MB", default=50)
IMPORT_BATCH_ROWS = env.int("IMPORT_BATCH_ROWS", default=200)
# Files with more rows than this are checked (dry run) by the worker, with a progress bar.
IMPORT_SYNC_CHECK_ROWS = env.int("IMPORT_SYNC_CHECK_ROWS", default=2000)
# An active import that has not advanced for this long is re-enqueued by the sweep (and its
# owner offered "Resume"): its message was lost, e.g. the broker was down.
IMPORT_STALE_MINUTES = env.int("IMPORT_STALE_MINUTES", default=10)
# Uploaded files are deleted this long after upload; the jobs' reports are kept.
IMPORT_RETENTION_DAYS = env.int("IMPORT_RETENTION_DAYS", default=30)
