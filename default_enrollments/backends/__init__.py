"""Enrollment backends: the LMS side of an enrollment (``DEFAULT_ENROLLMENTS["ENROLLMENT_BACKEND"]``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from default_enrollments.backends.base import EnrollmentBackend
from default_enrollments.conf import app_settings
from default_enrollments.data import EnrollmentState


def get_enrollment_backend() -> EnrollmentBackend:
    """An instance of the configured backend class."""
    return app_settings.ENROLLMENT_BACKEND()


def read_enrollments(users: Sequence, course_run_keys: Sequence[str]) -> dict[Any, dict[str, EnrollmentState]]:
    """
    The LMS enrollments of these learners in these runs, by user pk, keyed by lowercased run key. One learner
    is asked with ``get_enrollments`` (the login path), several with ``get_enrollments_many`` (a backfill chunk).
    """
    if not course_run_keys:
        return {user.pk: {} for user in users}
    backend = get_enrollment_backend()
    if len(users) == 1:
        read = {users[0].pk: backend.get_enrollments(users[0], course_run_keys)}
    else:
        read = backend.get_enrollments_many(users, course_run_keys)
    return {pk: {key.lower(): state for key, state in states.items()} for pk, states in read.items()}
