"""
The Celery app a host would define, for the tests: configured from Django settings (``CELERY_*``).

The app's tasks are ``shared_task``s, so they bind to this app once it is the current one.
"""
from celery import Celery

app = Celery("default_enrollments_tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.set_current()
app.set_default()
