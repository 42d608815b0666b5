"""App config; ``plugin_app`` lets an Open edX LMS wire the app by ``pip install`` alone."""
from django.apps import AppConfig


class DefaultEnrollmentsConfig(AppConfig):
    name = "default_enrollments"
    verbose_name = "Default enrollments"
    default_auto_field = "django.db.models.BigAutoField"

    # Read by edx-django-utils' plugin machinery in an Open edX LMS (see docs/decisions).
    plugin_app = {
        "url_config": {
            "lms.djangoapp": {
                "namespace": "default_enrollments",
                "regex": r"^enterprise/",
                "relative_path": "urls",
            },
        },
        "settings_config": {
            "lms.djangoapp": {
                "common": {"relative_path": "settings.common"},
                "production": {"relative_path": "settings.production"},
            },
        },
        "signals_config": {
            "lms.djangoapp": {
                "relative_path": "handlers",
                "receivers": [],
            },
        },
    }

    def ready(self) -> None:
        from default_enrollments import handlers  # noqa: F401, PLC0415 (connects the login receivers)
