"""
System check: the intention and realization models are swapped together or not at all.

A realization belongs to its intention by foreign key, so the two must live in one app: the app's own pair, or
another app's (edx-enterprise's). One setting without the other would point a realization at intentions in a
table it has no key to.
"""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.translation import gettext as _

from default_enrollments.conf import INTENTION_MODEL_SETTING, REALIZATION_MODEL_SETTING, app_model_label


@register("default_enrollments")
def check_swapped_app_models(app_configs=None, **kwargs) -> list[Error]:
    """Refuse one of ``DEFAULT_ENROLLMENTS_INTENTION_MODEL``/``..._REALIZATION_MODEL`` without the other."""
    intention_app = app_model_label(INTENTION_MODEL_SETTING).split(".")[0]
    realization_app = app_model_label(REALIZATION_MODEL_SETTING).split(".")[0]
    if intention_app == realization_app:
        return []
    configured = {
        name: getattr(settings, name, None) for name in (INTENTION_MODEL_SETTING, REALIZATION_MODEL_SETTING)
    }
    return [
        Error(
            _("%(intention)s and %(realization)s must name models of one app (both edx-enterprise's, or neither "
              "set); they are %(values)s.")
            % {
                "intention": INTENTION_MODEL_SETTING,
                "realization": REALIZATION_MODEL_SETTING,
                "values": ", ".join(f"{name}={value!r}" for name, value in configured.items()),
            },
            hint=_("Set both settings, or remove both, before the first migrate."),
            id="default_enrollments.E101",
        )
    ]
