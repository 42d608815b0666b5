"""The standalone default backend: enrollments in the reference host's own LMS model."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from default_enrollments.backends.base import EnrollmentBackend
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.data import EnrollmentState
from default_enrollments.exceptions import EnrollmentError

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class ReferenceEnrollmentBackend(EnrollmentBackend):
    """Reads and writes ``default_enrollments_reference.CourseEnrollment``."""

    def enroll(
        self, user: AbstractBaseUser, course_run_key: str, mode: str, *, enterprise_customer_uuid: UUID | None = None
    ) -> None:
        if not getattr(user, "is_active", True):
            raise EnrollmentError(f"user {user.pk} is inactive and cannot be enrolled in {course_run_key}")
        enrollment, created = CourseEnrollment.objects.get_or_create(
            user=user, course_id=course_run_key, defaults={"mode": mode, "is_active": True}
        )
        if not created and (enrollment.mode != mode or not enrollment.is_active):
            enrollment.mode = mode
            enrollment.is_active = True
            enrollment.save(update_fields=["mode", "is_active", "modified"])

    def get_enrollments(self, user: AbstractBaseUser, course_run_keys: Iterable[str]) -> dict[str, EnrollmentState]:
        wanted = {key.lower(): key for key in course_run_keys}
        if not wanted:
            return {}
        # All of the learner's rows by the indexed user column, matched here: run keys compare
        # case-insensitively on every database, and a learner has few enrollments. Plain tuples, no ordering:
        # this runs on every login.
        rows = CourseEnrollment.objects.filter(user_id=user.pk).order_by().values_list("course_id", "mode", "is_active")
        return {
            wanted[course_id.lower()]: EnrollmentState(mode=mode, is_active=is_active)
            for course_id, mode, is_active in rows
            if course_id.lower() in wanted
        }
