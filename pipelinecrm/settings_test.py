"""Test settings: the real settings on the local PostgreSQL and Redis, made fast.

Only defaults are set here; ``DATABASE_URL`` / ``REDIS_URL`` in the environment win.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pipelinecrm")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
# The test server speaks plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the source folders: no collectstatic before tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
LIVE_REFRESH_SECONDS = 1
