"""
The reference backend's former dotted path, kept so that settings naming it keep working.

The backend lives with the rest of the standalone host in ``default_enrollments.contrib.reference_host``;
it is named here by a string only, so the core never imports that app.
"""
from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

from default_enrollments.conf import REFERENCE_ENROLLMENT_BACKEND


def __getattr__(name: str) -> Any:
    if name == "ReferenceEnrollmentBackend":
        return import_string(REFERENCE_ENROLLMENT_BACKEND)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
