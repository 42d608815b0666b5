"""The interface an enrollment backend implements."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from default_enrollments.data import EnrollmentState

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class EnrollmentBackend:
    """
    Creates and reads LMS enrollments for the realization.

    ``enroll`` runs inside the realization's transaction for one intention, so a backend that writes
    to the same database rolls back with it.
    """

    def enroll(self, user: AbstractBaseUser, course_run_key: str, mode: str) -> None:
        """Create, reactivate or upgrade the enrollment; raise ``EnrollmentError`` on refusal."""
        raise NotImplementedError

    def get_enrollments(self, user: AbstractBaseUser, course_run_keys: Iterable[str]) -> dict[str, EnrollmentState]:
        """The learner's enrollments among ``course_run_keys``, keyed as asked; missing keys have none."""
        raise NotImplementedError
