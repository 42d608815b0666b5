"""
A small world for realization tests: one customer with a catalog on the loopback catalog server,
courses, intentions and linked learners, plus test enrollment backends (real backends, not mocks).
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from default_enrollments.backends.reference import ReferenceEnrollmentBackend
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.data import OutcomeStatus
from default_enrollments.exceptions import EnrollmentError
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
)
from tests.catalog_server import LAST_RUN, CatalogServer, course_run
from tests.factories import (
    DefaultEnterpriseEnrollmentIntentionFactory,
    EnterpriseCustomerFactory,
    EnterpriseCustomerUserFactory,
    UserFactory,
)

DEMO_COURSE = "edX+DemoX"
DEMO_OLD_RUN = "course-v1:edX+DemoX+1T2024"
DEMO_RUN = "course-v1:edX+DemoX+Demo_Course"


class CountingEnrollmentBackend(ReferenceEnrollmentBackend):
    """The reference backend, counting ``enroll`` calls per run across threads."""

    enroll_calls: Counter = Counter()
    _lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.enroll_calls = Counter()

    def enroll(self, user, course_run_key: str, mode: str, **kwargs) -> None:
        with self._lock:
            type(self).enroll_calls[course_run_key] += 1
        super().enroll(user, course_run_key, mode)


class RefusingEnrollmentBackend(ReferenceEnrollmentBackend):
    """The reference backend, except that the LMS refuses the runs in ``refused`` (a closed or full course)."""

    refused: set[str] = set()

    def enroll(self, user, course_run_key: str, mode: str, **kwargs) -> None:
        super().enroll(user, course_run_key, mode)  # writes first: the refusal must roll it back
        if course_run_key in self.refused:
            raise EnrollmentError(f"{course_run_key} is full")


class BrokenEnrollmentBackend(ReferenceEnrollmentBackend):
    """A backend with a bug: reading enrollments blows up."""

    def get_enrollments(self, user, course_run_keys):
        raise RuntimeError("the LMS enrollment table is on fire")


@dataclass
class World:
    server: CatalogServer
    customer: object = None
    catalog_uuid: str = ""
    catalog_keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.customer = self.customer or EnterpriseCustomerFactory()
        self.catalog_uuid = self.server.add_catalog(self.customer.uuid, [])

    def course(self, key: str, runs=None, advertised=LAST_RUN, *, in_catalog: bool = True, **extra) -> dict:
        document = self.server.add_course(key, runs, advertised, **extra)
        if in_catalog:
            self.catalog_keys.add(key)
            self.server.add_catalog(self.customer.uuid, self.catalog_keys, self.catalog_uuid)
        return document

    def demo_course(self, **run_options) -> dict:
        """edX+DemoX: an archived run and the advertised, enrollable run (audit + verified)."""
        return self.course(
            DEMO_COURSE,
            [
                course_run(DEMO_OLD_RUN, is_enrollable=False, availability="Archived"),
                course_run(DEMO_RUN, **run_options),
            ],
            advertised=DEMO_RUN,
        )

    def intention(self, content_key: str = DEMO_COURSE, *, customer=None):
        return DefaultEnterpriseEnrollmentIntentionFactory(
            enterprise_customer=customer or self.customer, content_key=content_key
        )

    def learner(self, *, customer=None, signals: bool = False, **link_options):
        """A user linked to the customer; see ``link`` for ``signals``."""
        user = UserFactory(**{k: link_options.pop(k) for k in ("is_staff", "is_superuser", "is_active")
                              if k in link_options})
        self.link(user, customer=customer, signals=signals, **link_options)
        return user

    def link(self, user, *, customer=None, signals: bool = False, **link_options):
        """
        Link ``user`` to a customer. Without ``signals`` the row is inserted without ``post_save``, as a host's
        bulk import would, so the link trigger does not realize before the test's own login does.
        """
        link = EnterpriseCustomerUserFactory.build(
            enterprise_customer=customer or self.customer, user_id=user.id, **link_options
        )
        if signals:
            link.save()
            return link
        # The base manager sees unlinked rows too (edx-enterprise's default manager hides them).
        manager = type(link)._base_manager
        manager.bulk_create([link])
        return manager.get(enterprise_customer=link.enterprise_customer, user_id=user.id)  # MySQL returns no pk


def lms_enrollments(user) -> dict[str, tuple[str, bool]]:
    return {row.course_id: (row.mode, row.is_active) for row in CourseEnrollment.objects.filter(user=user)}


def enterprise_enrollments(user) -> list[str]:
    return sorted(
        get_enterprise_course_enrollment_model()
        ._default_manager.filter(enterprise_customer_user__user_id=user.id)
        .values_list("course_id", flat=True)
    )


def realizations(user) -> list[tuple[str, str]]:
    """(intention content key, realized run) for the learner."""
    return sorted(
        DefaultEnterpriseEnrollmentRealization.objects.filter(
            realized_enrollment__enterprise_customer_user__user_id=user.id
        ).values_list("intended_enrollment__content_key", "realized_enrollment__course_id")
    )


def nothing_written(user) -> bool:
    return not (lms_enrollments(user) or enterprise_enrollments(user) or realizations(user))


def use_backend(settings, path: str) -> None:
    """Point ``DEFAULT_ENROLLMENTS["ENROLLMENT_BACKEND"]`` at ``path``, keeping the other keys."""
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ENROLLMENT_BACKEND": path}


def outcome_counts(output: str) -> dict[str, int]:
    """The per-outcome counts the backfill command prints at the end."""
    counts = {}
    for line in output.splitlines():
        name, _, value = line.strip().partition(": ")
        if name in {status.value for status in OutcomeStatus}:
            counts[name] = int(value)
    return counts
