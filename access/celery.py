"""The Celery app. Tasks are thin: they take ids, load objects and call a service."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "access.settings")

app = Celery("tre")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
