"""App config; ``plugin_app`` lets an Open edX LMS wire the app by ``pip install`` alone."""
from importlib.util import find_spec

from django.apps import AppConfig

# The login receivers, under the dispatch_uids ``handlers`` uses, so ``ready()`` and edx-django-utils'
# ``connect_plugin_receivers`` connect each of them once. Link receivers need the host's customer-user model
# as sender, which a static plugin config cannot name; ``ready()`` connects those.
_LOGIN_RECEIVERS = [
    {
        "receiver_func_name": "realize_on_login",
        "signal_path": "django.contrib.auth.signals.user_logged_in",
        "dispatch_uid": "default_enrollments_realize_on_login",
    },
]
if find_spec("openedx_events") is not None:
    _LOGIN_RECEIVERS.append(
        {
            "receiver_func_name": "realize_on_session_login",
            "signal_path": "openedx_events.learning.signals.SESSION_LOGIN_COMPLETED",
            "dispatch_uid": "default_enrollments_session_login",
        }
    )


class DefaultEnrollmentsConfig(AppConfig):
    name = "default_enrollments"
    verbose_name = "Default enrollments"
    default_auto_field = "django.db.models.BigAutoField"

    # Read by edx-django-utils' plugin machinery in an Open edX LMS (project type "lms.djangoapp").
    plugin_app = {
        # Mounted at enterprise/, so the API paths are edx-enterprise's: enterprise/api/v1/default-enterprise-...
        "url_config": {
            "lms.djangoapp": {
                "namespace": "default_enrollments",
                "regex": r"^enterprise/",
                "relative_path": "urls",
            },
        },
        # plugin_settings(settings) in settings/common.py and settings/production.py fill Open edX defaults.
        "settings_config": {
            "lms.djangoapp": {
                "common": {"relative_path": "settings.common"},
                "production": {"relative_path": "settings.production"},
            },
        },
        "signals_config": {
            "lms.djangoapp": {
                "relative_path": "handlers",
                "receivers": _LOGIN_RECEIVERS,
            },
        },
    }

    def ready(self) -> None:
        # handlers connects the login receivers; model_checks registers its system check.
        from default_enrollments import handlers, model_checks  # noqa: F401, PLC0415
