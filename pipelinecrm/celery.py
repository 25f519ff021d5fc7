"""The Celery app: JSON only, late acknowledgement, time limits (see ARCHITECTURE.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipelinecrm.settings")

app = Celery("pipelinecrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
