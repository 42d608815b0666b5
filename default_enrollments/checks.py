"""
Deploy-time checks: ``./manage.py check`` names a misconfiguration before the first login meets it.

Each function below is one rule and carries the ids it reports (``default_enrollments.E0xx`` for a setting the
app cannot work with, ``W0xx`` for one it works with but not as the operator expects). They read the raw settings,
never ``conf.app_settings`` (which raises on the first unknown key and imports dotted paths), so one bad value
does not hide the others. README.rst lists every id with its fix.
"""
from __future__ import annotations

import difflib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from default_enrollments.conf import (
    COURSE_ENROLLMENT_MODEL_SETTING,
    CUSTOMER_MODEL_SETTING,
    CUSTOMER_USER_MODEL_SETTING,
    DEFAULTS,
    HOST_FALLBACKS,
    IMPORT_STRINGS,
    LICENSE_MANAGER_HOST_SETTING,
    LICENSED_ENROLLMENT_MODEL_SETTING,
    REFERENCE_ENROLLMENT_BACKEND,
    SETTINGS_NAME,
    app_model_label,
    host_model_label,
    known_keys,
    licensed_enrollment_model_label,
)

TAG = "default_enrollments"

#: The fields of each host model that the app reads or writes (DESIGN 2.1), by field name or attribute name.
HOST_MODEL_FIELDS: dict[str, tuple[str, ...]] = {
    CUSTOMER_MODEL_SETTING: ("uuid", "name", "slug", "active"),
    CUSTOMER_USER_MODEL_SETTING: ("enterprise_customer", "user_id", "active", "linked"),
    COURSE_ENROLLMENT_MODEL_SETTING: (
        "enterprise_customer_user",
        "course_id",
        "unenrolled",
        "unenrolled_at",
        "saved_for_later",
    ),
}

#: The fields of the license fulfillment model the app reads and writes, and of the enrollment's source.
LICENSED_ENROLLMENT_FIELDS = ("enterprise_course_enrollment", "license_uuid", "is_revoked")
SOURCE_FIELDS = ("slug", "name")
#: Eligibility policies that name the license paying for a seat, by the function's name (whichever module).
LICENSE_POLICY_NAMES = ("subscription_license_policy",)

#: Enrollment backends that work only with an app of their own installed: dotted-path prefix -> app.
BACKEND_APPS: dict[str, str] = {
    REFERENCE_ENROLLMENT_BACKEND.rsplit(".", 2)[0] + ".": "default_enrollments.contrib.reference_host",
    "default_enrollments.backends.reference.": "default_enrollments.contrib.reference_host",
}

#: The app's own model settings, which come as a pair: realizations point at the intention model.
OWN_MODEL_SETTINGS = ("DEFAULT_ENROLLMENTS_INTENTION_MODEL", "DEFAULT_ENROLLMENTS_REALIZATION_MODEL")

HTTP_CATALOG_CLIENT = "default_enrollments.catalog.client.EnterpriseCatalogApiClient"
CATALOG_CREDENTIALS = ("CATALOG_API_URL", "OAUTH2_PROVIDER_URL", "OAUTH2_CLIENT_ID", "OAUTH2_CLIENT_SECRET")
LICENSE_POLICY = "default_enrollments.licenses.policy.subscription_license_policy"
LICENSE_MANAGER_CREDENTIALS = ("LICENSE_MANAGER_API_URL", *CATALOG_CREDENTIALS[1:])


def _configured() -> dict[str, Any]:
    """The operator's ``DEFAULT_ENROLLMENTS`` (an empty dict when it is unset or not a dict)."""
    configured = getattr(settings, SETTINGS_NAME, None) or {}
    return configured if isinstance(configured, dict) else {}


def _value(name: str) -> Any:
    """A key's effective value as ``conf.app_settings`` would read it, without importing dotted paths."""
    value = _configured().get(name, DEFAULTS[name])
    if value is None and name in HOST_FALLBACKS:
        value = getattr(settings, HOST_FALLBACKS[name], None)
    if value is None and name == "CATALOG_API_URL":
        value = getattr(settings, "ENTERPRISE_CATALOG_INTERNAL_ROOT_URL", None)
    if value is None and name == "LICENSE_MANAGER_API_URL":
        value = getattr(settings, LICENSE_MANAGER_HOST_SETTING, None)
    return value


def _imported(name: str) -> Any:
    """The object a dotted-path key names (or the object itself when one was set), None when it does not import:
    E002 reports that, and the checks of what the object needs stay quiet."""
    value = _value(name)
    try:
        return import_string(value) if isinstance(value, str) else value
    except Exception:  # noqa: BLE001 (a path may fail to import in any way; E002 names it)
        return None


def _app_missing_for_backend(dotted_path: str) -> str | None:
    """The app ``dotted_path`` (an enrollment backend) needs when it is not installed, else None."""
    for prefix, app in BACKEND_APPS.items():
        if dotted_path.startswith(prefix) and not apps.is_installed(app):
            return app
    return None


def check_known_keys(app_configs=None, **kwargs) -> list[CheckMessage]:
    """
    E001: ``DEFAULT_ENROLLMENTS`` holds a key the app does not know (a misspelling is read as absent, so the
    default silently wins); the closest known key is suggested. Also when the setting is not a dict.
    """
    configured = getattr(settings, SETTINGS_NAME, None)
    if configured is not None and not isinstance(configured, dict):
        return [Error(_("%(name)s must be a dict.") % {"name": SETTINGS_NAME}, id="default_enrollments.E001")]
    errors = []
    for key in sorted(set(configured or {}) - set(known_keys())):
        close = difflib.get_close_matches(key, known_keys(), n=1)
        hint = (
            _("Did you mean %(key)r?") % {"key": close[0]}
            if close
            else _("Known keys: %(keys)s.") % {"keys": ", ".join(known_keys())}
        )
        errors.append(
            Error(
                _("%(name)s has an unknown key %(key)r.") % {"name": SETTINGS_NAME, "key": key},
                hint=hint,
                id="default_enrollments.E001",
            )
        )
    return errors


def check_dotted_paths(app_configs=None, **kwargs) -> list[CheckMessage]:
    """E002: a dotted-path key (catalog client, enrollment backend, eligibility policy, admin permission) fails to
    import; the app would fail on first use, at a learner's login."""
    errors = []
    for name in sorted(IMPORT_STRINGS):
        path = _value(name)
        if not isinstance(path, str) or (name == "ENROLLMENT_BACKEND" and _app_missing_for_backend(path)):
            continue
        try:
            import_string(path)
        except Exception as exc:  # noqa: BLE001 (any failure to import is this error: ImportError, RuntimeError…)
            errors.append(
                Error(
                    _("%(setting)s[%(key)r] = %(path)r cannot be imported: %(error)s")
                    % {"setting": SETTINGS_NAME, "key": name, "path": path, "error": exc},
                    hint=_("Give the dotted path of an importable class or function."),
                    id="default_enrollments.E002",
                )
            )
    return errors


def check_enrollment_backend_app(app_configs=None, **kwargs) -> list[CheckMessage]:
    """E003: the enrollment backend belongs to an app that is not in ``INSTALLED_APPS`` (the reference backend
    without the reference host app: an Open edX LMS whose settings lost the Open edX backend)."""
    path = _value("ENROLLMENT_BACKEND")
    app = _app_missing_for_backend(path) if isinstance(path, str) else None
    if app is None:
        return []
    return [
        Error(
            _("%(setting)s['ENROLLMENT_BACKEND'] = %(path)r needs the app %(app)r, which is not installed.")
            % {"setting": SETTINGS_NAME, "path": path, "app": app},
            hint=_(
                "In an Open edX LMS use 'default_enrollments.backends.openedx.OpenEdxEnrollmentBackend'; "
                "on a standalone host add %(app)r to INSTALLED_APPS."
            )
            % {"app": app},
            id="default_enrollments.E003",
        )
    ]


def _missing_fields(model, names: tuple[str, ...]) -> list[str]:
    present = {field.name for field in model._meta.get_fields()}
    present |= {field.attname for field in model._meta.concrete_fields}
    return [name for name in names if name not in present]


def check_host_models(app_configs=None, **kwargs) -> list[CheckMessage]:
    """E004: a host-model setting names no installed model. E005: the model lacks a field the app reads."""
    errors = []
    for setting_name, fields in HOST_MODEL_FIELDS.items():
        label = host_model_label(setting_name)
        try:
            model = apps.get_model(label, require_ready=False)
        except (LookupError, ValueError):
            errors.append(
                Error(
                    _("%(setting)s = %(label)r is not an installed model.") % {"setting": setting_name, "label": label},
                    hint=_("Use 'app_label.ModelName' of a model in INSTALLED_APPS."),
                    id="default_enrollments.E004",
                )
            )
            continue
        missing = _missing_fields(model, fields)
        if missing:
            errors.append(
                Error(
                    _("%(label)s (%(setting)s) lacks the fields the app reads: %(fields)s.")
                    % {"label": label, "setting": setting_name, "fields": ", ".join(missing)},
                    hint=_("The host models need edx-enterprise's field names; see the README."),
                    id="default_enrollments.E005",
                )
            )
    return errors


def check_catalog_credentials(app_configs=None, **kwargs) -> list[CheckMessage]:
    """W001: the HTTP catalog client is configured but its URL or OAuth2 credentials are not: every intention
    would stay unresolved ("catalog unavailable") and nobody would be enrolled."""
    client = _imported("CATALOG_CLIENT")
    if not (isinstance(client, type) and issubclass(client, import_string(HTTP_CATALOG_CLIENT))):
        return []
    missing = [name for name in CATALOG_CREDENTIALS if not _value(name)]
    if not missing:
        return []
    return [
        Warning(
            _("The HTTP catalog client has no %(keys)s: no intention can be resolved and nobody is enrolled.")
            % {"keys": ", ".join(missing)},
            hint=_(
                "Set them in %(setting)s, or the LMS's ENTERPRISE_CATALOG_INTERNAL_ROOT_URL and "
                "ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_*; without enterprise-catalog use the static client."
            )
            % {"setting": SETTINGS_NAME},
            id="default_enrollments.W001",
        )
    ]


def check_license_manager_credentials(app_configs=None, **kwargs) -> list[CheckMessage]:
    """W003: the subscription-license policy is chosen but license-manager's URL or the OAuth2 credentials are
    missing: every paid seat would wait for license-manager ("license_manager_unavailable") and nobody would be
    enrolled."""
    if _imported("ELIGIBILITY_POLICY") is not import_string(LICENSE_POLICY):
        return []
    missing = [name for name in LICENSE_MANAGER_CREDENTIALS if not _value(name)]
    if not missing:
        return []
    return [
        Warning(
            _("The subscription-license policy is chosen but %(keys)s is not set: license-manager cannot be asked "
              "and nobody is enrolled.")
            % {"keys": ", ".join(missing)},
            hint=_("Set them in %(setting)s, or the LMS's %(url)s and ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_*.")
            % {"setting": SETTINGS_NAME, "url": LICENSE_MANAGER_HOST_SETTING},
            id="default_enrollments.W003",
        )
    ]


def check_jwt_key_set(app_configs=None, **kwargs) -> list[CheckMessage]:
    """W002: the host configures JWT authentication but has no asymmetric public key set, so the API answers
    every JWT caller 401 (only signatures verified by a public key count; docs/decisions/0009)."""
    from default_enrollments.rest_api.v1.authentication import (  # noqa: PLC0415 (the REST layer loads DRF)
        VerifiedJwtAuthentication,
        configured_public_keys,
    )

    if VerifiedJwtAuthentication is None or not getattr(settings, "JWT_AUTH", None) or configured_public_keys():
        return []
    return [
        Warning(
            _("JWT_AUTH has no usable JWT_PUBLIC_SIGNING_JWK_SET: the API answers every JWT caller 401."),
            hint=_(
                "Set JWT_AUTH['JWT_PUBLIC_SIGNING_JWK_SET'] to the LMS's public keys (JSON); "
                "tokens signed with a shared secret are never accepted."
            ),
            id="default_enrollments.W002",
        )
    ]


def check_own_model_settings(app_configs=None, **kwargs) -> list[Error]:
    """E006: the intention and realization models are swapped together or not at all: a realization points at its
    intention by foreign key, so both live in one app (the app's own pair, or edx-enterprise's)."""
    apps_named = {app_model_label(name).split(".")[0] for name in OWN_MODEL_SETTINGS}
    if len(apps_named) == 1:
        return []
    values = ", ".join(f"{name}={getattr(settings, name, None)!r}" for name in OWN_MODEL_SETTINGS)
    return [
        Error(
            _("%(intention)s and %(realization)s must name models of one app (both edx-enterprise's, or neither "
              "set); they are %(values)s.")
            % {"intention": OWN_MODEL_SETTINGS[0], "realization": OWN_MODEL_SETTINGS[1], "values": values},
            hint=_("Set both, or neither, before the first migrate."),
            id="default_enrollments.E006",
        )
    ]


def check_license_fulfillment(app_configs=None, **kwargs) -> list[CheckMessage]:
    """
    E007: the license fulfillment model setting names no installed model or one without the fields the app
    writes, or the enterprise enrollment's ``source`` names a model without ``slug`` and ``name``: the first
    licensed or realized enrollment would fail. W004: a license policy is chosen but the host keeps no license
    fulfillment, so licenses pay for seats that no record ties to them (nor can a revocation find).
    """
    messages: list[CheckMessage] = []
    label = licensed_enrollment_model_label()
    if label:
        try:
            model = apps.get_model(label, require_ready=False)
        except (LookupError, ValueError):
            messages.append(_license_error(_("%(setting)s = %(label)r is not an installed model.")
                                           % {"setting": LICENSED_ENROLLMENT_MODEL_SETTING, "label": label}))
        else:
            messages += _fields_error(model, LICENSED_ENROLLMENT_FIELDS, LICENSED_ENROLLMENT_MODEL_SETTING)
    try:
        enrollment_model = apps.get_model(host_model_label(COURSE_ENROLLMENT_MODEL_SETTING), require_ready=False)
        source = enrollment_model._meta.get_field("source")
    except Exception:  # noqa: BLE001 (E004 reports a model that does not resolve; a host without source has none)
        source = None
    if source is not None and source.is_relation:
        messages += _fields_error(source.related_model, SOURCE_FIELDS, COURSE_ENROLLMENT_MODEL_SETTING)
    policy = _value("ELIGIBILITY_POLICY")
    if not label and isinstance(policy, str) and policy.rsplit(".", 1)[-1] in LICENSE_POLICY_NAMES:
        messages.append(
            Warning(
                _("%(setting)s['ELIGIBILITY_POLICY'] names licenses, but the host keeps no license fulfillment: "
                  "no license is recorded with the enrollments it pays for.") % {"setting": SETTINGS_NAME},
                hint=_("Set %(model_setting)s to the host's license fulfillment model.")
                % {"model_setting": LICENSED_ENROLLMENT_MODEL_SETTING},
                id="default_enrollments.W004",
            )
        )
    return messages


def _fields_error(model, fields: tuple[str, ...], setting_name: str) -> list[CheckMessage]:
    missing = _missing_fields(model, fields)
    if not missing:
        return []
    return [_license_error(_("%(label)s (%(setting)s) lacks the fields the app writes: %(fields)s.")
                           % {"label": model._meta.label, "setting": setting_name, "fields": ", ".join(missing)})]


def _license_error(message: str) -> Error:
    return Error(message, hint=_("See the README's host models: edx-enterprise's models and field names."),
                 id="default_enrollments.E007")


ALL_CHECKS = (
    check_known_keys,
    check_dotted_paths,
    check_enrollment_backend_app,
    check_host_models,
    check_catalog_credentials,
    check_license_manager_credentials,
    check_jwt_key_set,
    check_own_model_settings,
    check_license_fulfillment,
)

