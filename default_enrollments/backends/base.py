"""The interface an enrollment backend implements."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction

from default_enrollments.data import EnrollmentState

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


@dataclass(frozen=True)
class EnrollmentRequest:
    """One LMS enrollment to create, reactivate or upgrade: a learner, a run, a mode, and the customer it is for."""

    user: Any  # the host's user instance
    course_run_key: str
    mode: str
    enterprise_customer_uuid: UUID | None = None


class EnrollmentBackend:
    """
    Creates and reads LMS enrollments for the realization.

    ``enroll`` and ``enroll_many`` run inside the realization's transaction, so a backend that writes to the
    same database rolls back with it. The ``*_many`` methods serve a batch (one learner's runs at login, a
    chunk of learners in the backfill); their defaults call the one-at-a-time methods, so a backend needs
    only ``enroll`` and ``get_enrollments``, and may override the others to write or read in bulk.
    """

    def enroll(
        self, user: AbstractBaseUser, course_run_key: str, mode: str, *, enterprise_customer_uuid: UUID | None = None
    ) -> None:
        """
        Create, reactivate or upgrade the enrollment; raise ``EnrollmentError`` on refusal.

        ``enterprise_customer_uuid`` names the customer the enrollment is made for, for a host that records it.
        """
        raise NotImplementedError

    def enroll_many(self, requests: Sequence[EnrollmentRequest]) -> dict[EnrollmentRequest, Exception]:
        """
        Carry out every request; return the ones that failed, with their error (``EnrollmentError`` for a refusal).

        A failure must cost its own request only: whatever a failed request wrote is undone, the others stand.
        This default calls ``enroll`` once per request, each in its own savepoint. Should the database give up
        the whole transaction meanwhile, the requests not yet tried fail with the same error.
        """
        failures: dict[EnrollmentRequest, Exception] = {}
        for position, request in enumerate(requests):
            try:
                with transaction.atomic():
                    self.enroll(request.user, request.course_run_key, request.mode,
                                enterprise_customer_uuid=request.enterprise_customer_uuid)
            except Exception as exc:  # noqa: BLE001 (one run's failure must not stop the others)
                failures[request] = exc
                if transaction.get_connection().in_atomic_block and transaction.get_rollback():
                    failures.update(dict.fromkeys(requests[position + 1:], exc))
                    break
        return failures

    def get_enrollments(self, user: AbstractBaseUser, course_run_keys: Iterable[str]) -> dict[str, EnrollmentState]:
        """The learner's enrollments among ``course_run_keys``, keyed as asked; missing keys have none."""
        raise NotImplementedError

    def get_enrollments_many(
        self, users: Sequence[AbstractBaseUser], course_run_keys: Iterable[str]
    ) -> dict[Any, dict[str, EnrollmentState]]:
        """``get_enrollments`` for several learners, by user pk; this default asks once per learner."""
        keys = list(course_run_keys)
        return {user.pk: self.get_enrollments(user, keys) for user in users}

    def get_course_modes(self, course_run_keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """
        The modes a learner can be enrolled in today, per run, as the LMS knows them; keyed as asked.

        A run left out (or a backend that answers nothing, as this one does) falls back to the seats the
        catalog lists.
        """
        return {}


def overrides(backend: EnrollmentBackend, name: str, base: type) -> bool:
    """Whether ``backend``'s class redefines the method ``name`` of ``base`` (a subclass customizing it)."""
    return getattr(type(backend), name) is not getattr(base, name)
