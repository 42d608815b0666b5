"""
The Open edX backend: enrollments through edx-platform's enrollment API, in the LMS process.

edx-platform is imported when the backend is first used, never at import time, so this module loads
(and its settings can be checked) outside an LMS.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING
from uuid import UUID

from django.utils.translation import gettext as _

from default_enrollments.backends.base import EnrollmentBackend
from default_enrollments.data import EnrollmentState
from default_enrollments.exceptions import EnrollmentError

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger(__name__)

ENROLLMENT_API_MODULE = "openedx.core.djangoapps.enrollments.api"
ENROLLMENT_ERRORS_MODULE = "openedx.core.djangoapps.enrollments.errors"


def _load_platform() -> tuple[ModuleType, ModuleType]:
    """edx-platform's enrollment API and its errors; a clear error when not running inside an LMS."""
    from importlib import import_module  # noqa: PLC0415

    try:
        return import_module(ENROLLMENT_API_MODULE), import_module(ENROLLMENT_ERRORS_MODULE)
    except ImportError as exc:
        raise EnrollmentError(
            f"The Open edX enrollment backend needs edx-platform ({ENROLLMENT_API_MODULE}): {exc}. "
            "Outside an Open edX LMS, set DEFAULT_ENROLLMENTS['ENROLLMENT_BACKEND'] to another backend."
        ) from exc


class OpenEdxEnrollmentBackend(EnrollmentBackend):
    """Creates, reactivates and upgrades LMS enrollments with ``enrollments.api`` (the same calls the LMS uses)."""

    def enroll(
        self, user: AbstractBaseUser, course_run_key: str, mode: str, *, enterprise_customer_uuid: UUID | None = None
    ) -> None:
        api, errors = _load_platform()
        username = user.username
        try:
            current = api.get_enrollment(username, course_run_key)
            if current and current.get("mode") == mode and current.get("is_active"):
                return
            if current:
                answer = api.update_enrollment(username, course_run_key, mode=mode, is_active=True)
            else:
                try:
                    answer = api.add_enrollment(username, course_run_key, mode=mode, is_active=True)
                except errors.CourseEnrollmentExistsError:
                    # Created by another request between the read and the add: bring it to the wanted mode.
                    answer = api.update_enrollment(username, course_run_key, mode=mode, is_active=True)
        except errors.CourseEnrollmentError as exc:
            # The LMS's message may name the learner: the error carries ids and the LMS error's class only.
            raise EnrollmentError(_("The LMS refused to enroll user {user_id} in {run} ({mode}): {error}.").format(
                user_id=user.pk, run=course_run_key, mode=mode, error=type(exc).__name__
            )) from None
        if not answer or answer.get("mode") != mode or not answer.get("is_active"):
            raise EnrollmentError(_(
                "The LMS did not enroll user {user_id} in {run} as {mode}; its answer had mode {answer_mode} and "
                "is_active {answer_active}."
            ).format(user_id=user.pk, run=course_run_key, mode=mode,
                     answer_mode=(answer or {}).get("mode"), answer_active=(answer or {}).get("is_active")))

    def get_enrollments(self, user: AbstractBaseUser, course_run_keys: Iterable[str]) -> dict[str, EnrollmentState]:
        wanted = {key.lower(): key for key in course_run_keys}
        if not wanted:
            return {}
        api, errors = _load_platform()
        try:
            enrollments = api.get_enrollments(user.username, include_inactive=True)
        except errors.CourseEnrollmentError as exc:
            raise EnrollmentError(_("The LMS could not list the enrollments of user {user_id}: {error}.").format(
                user_id=user.pk, error=type(exc).__name__
            )) from None
        states = {}
        for enrollment in enrollments or []:
            course_id = str((enrollment.get("course_details") or {}).get("course_id") or "")
            if course_id.lower() in wanted:
                states[wanted[course_id.lower()]] = EnrollmentState(
                    mode=enrollment.get("mode") or "", is_active=bool(enrollment.get("is_active"))
                )
        return states
