"""Enrollment backends: the LMS side of an enrollment (``DEFAULT_ENROLLMENTS["ENROLLMENT_BACKEND"]``)."""
from __future__ import annotations

from default_enrollments.backends.base import EnrollmentBackend
from default_enrollments.conf import app_settings


def get_enrollment_backend() -> EnrollmentBackend:
    """An instance of the configured backend class."""
    return app_settings.ENROLLMENT_BACKEND()
