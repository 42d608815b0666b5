"""The standalone default backend: enrollments in the reference host's own LMS model."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models.functions import Lower
from django.utils import timezone

from default_enrollments import bulk
from default_enrollments.backends.base import EnrollmentBackend, EnrollmentRequest, overrides
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.data import EnrollmentState
from default_enrollments.exceptions import EnrollmentError

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class ReferenceEnrollmentBackend(EnrollmentBackend):
    """
    Reads and writes ``default_enrollments_reference.CourseEnrollment``.

    Its batch methods read and write in bulk. A subclass that redefines ``enroll`` or ``get_enrollments`` gets
    the interface's one-at-a-time defaults for the batch methods instead, so its own version is the one called.
    """

    def enroll(
        self, user: AbstractBaseUser, course_run_key: str, mode: str, *, enterprise_customer_uuid: UUID | None = None
    ) -> None:
        if not getattr(user, "is_active", True):
            raise _inactive(user, course_run_key)
        enrollment, created = CourseEnrollment.objects.get_or_create(
            user=user, course_id=course_run_key, defaults={"mode": mode, "is_active": True}
        )
        if not created and (enrollment.mode != mode or not enrollment.is_active):
            enrollment.mode = mode
            enrollment.is_active = True
            enrollment.save(update_fields=["mode", "is_active", "modified"])

    def enroll_many(self, requests: Sequence[EnrollmentRequest]) -> dict[EnrollmentRequest, Exception]:
        """
        Every request checked first (an inactive learner is refused), then one read of the rows there are, one
        insert of the new ones and one update of those to change: nothing is written for a refused request, so
        no savepoint is needed. The rows' ``post_save`` receivers are told, as ``save()`` would.
        """
        if overrides(self, "enroll", ReferenceEnrollmentBackend):
            return super().enroll_many(requests)
        failures: dict[EnrollmentRequest, Exception] = {
            request: _inactive(request.user, request.course_run_key)
            for request in requests if not getattr(request.user, "is_active", True)
        }
        wanted = [request for request in requests if request not in failures]
        if not wanted:
            return failures
        existing = {
            (row.user_id, row.course_id.lower()): row
            for row in CourseEnrollment.objects.filter(
                user_id__in={request.user.pk for request in wanted},
                course_id__in={request.course_run_key for request in wanted},
            )
        }
        created, changed = [], []
        for request in wanted:
            row = existing.get((request.user.pk, request.course_run_key.lower()))
            if row is None:
                created.append(CourseEnrollment(user_id=request.user.pk, course_id=request.course_run_key,
                                                mode=request.mode, is_active=True))
            elif row.mode != request.mode or not row.is_active:
                row.mode, row.is_active = request.mode, True
                changed.append(row)
        bulk.insert(CourseEnrollment, created, key_fields=("user_id", "course_id"))  # keys for the receivers
        bulk.update(CourseEnrollment, changed, ["mode", "is_active"], now=timezone.now())
        bulk.send_post_save(CourseEnrollment, created)
        bulk.send_post_save(CourseEnrollment, changed, created=False, update_fields=("mode", "is_active", "modified"))
        return failures

    def get_enrollments(self, user: AbstractBaseUser, course_run_keys: Iterable[str]) -> dict[str, EnrollmentState]:
        wanted = {key.lower(): key for key in course_run_keys}
        if not wanted:
            return {}
        # All of the learner's rows by the indexed user column, matched here: run keys compare
        # case-insensitively on every database, and a learner has few enrollments. Plain tuples, no ordering:
        # this runs on every login.
        rows = CourseEnrollment.objects.filter(user_id=user.pk).order_by().values_list("course_id", "mode", "is_active")
        return _states(wanted, rows)

    def get_enrollments_many(
        self, users: Sequence[AbstractBaseUser], course_run_keys: Iterable[str]
    ) -> dict[Any, dict[str, EnrollmentState]]:
        """
        Every learner's rows in these runs in one query, by the indexed user column; run keys compare
        lowercased, as ``get_enrollments`` matches them, on every database.
        """
        if overrides(self, "get_enrollments", ReferenceEnrollmentBackend):
            return super().get_enrollments_many(users, course_run_keys)
        wanted = {key.lower(): key for key in course_run_keys}
        by_user: dict[Any, list] = {user.pk: [] for user in users}
        if wanted and by_user:
            rows = CourseEnrollment.objects.alias(run=Lower("course_id")).filter(
                user_id__in=list(by_user), run__in=list(wanted)
            ).order_by().values_list("user_id", "course_id", "mode", "is_active")
            for user_id, *row in rows:
                by_user[user_id].append(row)
        return {user_id: _states(wanted, rows) for user_id, rows in by_user.items()}


def _states(wanted: dict[str, str], rows: Iterable) -> dict[str, EnrollmentState]:
    return {
        wanted[course_id.lower()]: EnrollmentState(mode=mode, is_active=is_active)
        for course_id, mode, is_active in rows
        if course_id.lower() in wanted
    }


def _inactive(user: AbstractBaseUser, course_run_key: str) -> EnrollmentError:
    return EnrollmentError(f"user {user.pk} is inactive and cannot be enrolled in {course_run_key}")
