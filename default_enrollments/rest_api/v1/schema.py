"""
The OpenAPI schema of version 1, and of nothing else the host serves.

A host such as the Open edX LMS has hundreds of other DRF views; generating from its whole URLconf would
document them all. The schema is built from this version's own URL patterns, prefixed with wherever the
host mounted them, so the paths in it are the ones clients call.
"""
from __future__ import annotations

from django.conf import settings
from django.urls import include, path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

SCHEMA_SETTINGS = {
    "TITLE": "Default enrollments API",
    "DESCRIPTION": (
        "Default enterprise enrollment intentions and each learner's status, at edx-enterprise's paths and "
        "in its JSON shapes. Additions: `catalog_unavailable` and, per learner-status intention, `reason`."
    ),
    "VERSION": "1",
}


def documented(**kwargs):
    """
    ``extend_schema`` built on drf-spectacular's AutoSchema whatever the host's ``DEFAULT_SCHEMA_CLASS``.

    A method decorator otherwise extends the host's default schema class (DRF's own in many hosts),
    which cannot produce drf-spectacular operations.
    """

    def decorate(method):
        method.schema = AutoSchema
        return extend_schema(**kwargs)(method)

    return decorate


class V1SchemaView(SpectacularAPIView):
    """
    OpenAPI 3 schema: JSON by default (hosts such as the LMS turn ``?format=`` off), YAML when asked for with
    ``Accept: application/vnd.oai.openapi``.
    """

    permission_classes = [AllowAny]
    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]
    custom_settings = SCHEMA_SETTINGS
    schema = AutoSchema()  # hosts' DEFAULT_SCHEMA_CLASS may be DRF's own, which cannot read extend_schema

    @documented(exclude=True)  # the schema view is not part of the schema
    def get(self, request, *args, **kwargs):
        mount = request.path_info[: -len("schema/")] if request.path_info.endswith("schema/") else "/"
        self.urlconf = None
        self.patterns = [path(mount.lstrip("/"), include("default_enrollments.rest_api.v1.urls"))]
        return super().get(request, *args, **kwargs)


try:
    from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication  # noqa: F401
except ImportError:  # pragma: no cover - hosts without edx-drf-extensions
    pass
else:

    class JwtAuthenticationScheme(OpenApiAuthenticationExtension):
        """Describes JWT authentication (``Authorization: JWT <token>``, signed by the LMS) in the schema."""

        target_class = "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication"
        match_subclasses = True  # the views use a subclass that verifies the signature first
        name = "jwtAuth"

        def get_security_definition(self, auto_schema) -> dict:
            return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "JWT <token>"}


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """The LMS session cookie (the learner portal and the admin use it)."""

    target_class = "default_enrollments.rest_api.v1.authentication.SessionAuthenticationWithChallenge"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
