"""App config of the alternative test host."""
from django.apps import AppConfig


class AltHostConfig(AppConfig):
    name = "tests.alt_host"
    label = "alt_host"
    verbose_name = "Alternative host (tests)"
    default_auto_field = "django.db.models.AutoField"
