"""App config for the bundled reference host models."""
from django.apps import AppConfig

from default_enrollments.conf import REFERENCE_APP_LABEL


class ReferenceHostConfig(AppConfig):
    name = "default_enrollments.contrib.reference_host"
    label = REFERENCE_APP_LABEL
    verbose_name = "Default enrollments: reference host"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from default_enrollments.contrib.reference_host import signals  # noqa: F401, PLC0415
