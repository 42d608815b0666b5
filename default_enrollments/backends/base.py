"""The interface an enrollment backend implements."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from default_enrollments.data import EnrollmentState

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class EnrollmentBackend:
    """
    Creates and reads LMS enrollments for the realization.

    ``enroll`` runs inside the realization's transaction for one intention, so a backend that writes
    to the same database rolls back with it.
    """

    def enroll(
        self, user: AbstractBaseUser, course_run_key: str, mode: str, *, enterprise_customer_uuid: UUID | None = None
    ) -> None:
        """
        Create, reactivate or upgrade the enrollment; raise ``EnrollmentError`` on refusal.

        ``enterprise_customer_uuid`` names the customer the enrollment is made for, for a host that records it.
        """
        raise NotImplementedError

    def get_enrollments(self, user: AbstractBaseUser, course_run_keys: Iterable[str]) -> dict[str, EnrollmentState]:
        """The learner's enrollments among ``course_run_keys``, keyed as asked; missing keys have none."""
        raise NotImplementedError

    def get_course_modes(self, course_run_keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """
        The modes a learner can be enrolled in today, per run, as the LMS knows them; keyed as asked.

        A run left out (or a backend that answers nothing, as this one does) falls back to the seats the
        catalog lists.
        """
        return {}
