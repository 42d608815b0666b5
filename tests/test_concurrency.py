"""
Exactly once under concurrency: many workers realizing the same learner at the same moment, on a real
server database (each thread has its own connection and transaction).
"""
import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from default_enrollments import api, backfill
from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.data import OutcomeStatus
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_user_model,
)
from tests.learners import DEMO_COURSE, DEMO_RUN, CountingEnrollmentBackend, World

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

WORKERS = 12
OTHER_RUN = "course-v1:edX+Other+1T2030"
EXPLICIT_RUN = "course-v1:edX+Third+2T2030"


@pytest.fixture(autouse=True)
def _server_database(db_vendor):
    if db_vendor == "sqlite":
        pytest.skip("SQLite serializes every writer on one file lock; row locks need MariaDB or PostgreSQL")


@pytest.fixture
def counting_backend(settings, catalog_server):
    settings.DEFAULT_ENROLLMENTS = {
        **settings.DEFAULT_ENROLLMENTS, "ENROLLMENT_BACKEND": "tests.learners.CountingEnrollmentBackend"
    }
    CountingEnrollmentBackend.reset()
    return CountingEnrollmentBackend


def realize_all_at_once(user_id: int) -> tuple[list, list]:
    """``WORKERS`` threads start realizing together; their outcomes and any exception they raised."""
    barrier = threading.Barrier(WORKERS)
    outcomes, errors = [], []
    lock = threading.Lock()

    def worker():
        try:
            user = get_user_model().objects.get(pk=user_id)
            barrier.wait(timeout=30)
            result = api.realize_default_enrollments(user)
            with lock:
                outcomes.extend(result)
        except Exception as exc:  # noqa: BLE001 (reported by the test)
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker is still running"
    return outcomes, errors


@pytest.mark.parametrize("existing", [None, "audit"], ids=["new enrollments", "audit upgrades"])
def test_concurrent_realizations_enroll_exactly_once_per_intention(catalog_server, counting_backend, existing):
    world = World(catalog_server)
    world.demo_course()
    world.course("edX+Other", [OTHER_RUN])
    world.course("edX+Third", [EXPLICIT_RUN, "course-v1:edX+Third+3T2030"])
    intentions = [world.intention(DEMO_COURSE), world.intention("edX+Other"), world.intention(EXPLICIT_RUN)]
    learner = world.learner()
    runs = [DEMO_RUN, OTHER_RUN, EXPLICIT_RUN]
    if existing:
        for run in runs:
            CourseEnrollment.objects.create(user=learner, course_id=run, mode=existing)

    outcomes, errors = realize_all_at_once(learner.pk)

    assert errors == []
    assert len(outcomes) == WORKERS * len(intentions)
    written = OutcomeStatus.UPGRADED if existing else OutcomeStatus.ENROLLED
    by_intention = Counter((o.intention_uuid, o.status) for o in outcomes)
    for intention in intentions:
        assert by_intention[(intention.uuid, written)] == 1
        assert by_intention[(intention.uuid, OutcomeStatus.ALREADY_ENROLLED)] == WORKERS - 1
    assert counting_backend.enroll_calls == Counter(dict.fromkeys(runs, 1))
    assert sorted(CourseEnrollment.objects.values_list("course_id", "mode", "is_active")) == sorted(
        (run, "verified", True) for run in runs
    )
    assert sorted(get_enterprise_course_enrollment_model()._default_manager.values_list("course_id", flat=True)) == (
        sorted(runs)
    )
    assert sorted(
        DefaultEnterpriseEnrollmentRealization.objects.values_list("intended_enrollment_id", flat=True)
    ) == sorted(intention.uuid for intention in intentions)


@pytest.mark.parametrize("backend", ["tests.learners.CountingEnrollmentBackend",
                                     "default_enrollments.backends.reference.ReferenceEnrollmentBackend"],
                         ids=["one run at a time", "in bulk"])
def test_backfill_chunks_and_logins_at_once_enroll_exactly_once(catalog_server, settings, backend):
    """Half the workers backfill one chunk of every learner, half log the learners in: each enrolled once."""
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ENROLLMENT_BACKEND": backend}
    CountingEnrollmentBackend.reset()
    world = World(catalog_server)
    world.demo_course()
    world.course("edX+Other", [OTHER_RUN])
    intentions = [world.intention(DEMO_COURSE), world.intention("edX+Other")]
    learners = [world.learner() for _ in range(4)]
    links = sorted(get_enterprise_customer_user_model()._default_manager.values_list("pk", flat=True))
    barrier = threading.Barrier(WORKERS)
    outcomes, errors = [], []
    lock = threading.Lock()

    def worker(number: int):
        try:
            user = get_user_model().objects.get(pk=learners[number % len(learners)].pk)
            barrier.wait(timeout=30)
            if number % 2:
                result = backfill.realize_customer_user_chunk(links)
            else:
                result = api.realize_default_enrollments(user)
            with lock:
                outcomes.extend(result)
        except Exception as exc:  # noqa: BLE001 (reported by the test)
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads), "a worker is still running"
    assert errors == []
    assert {o.status for o in outcomes} <= {OutcomeStatus.ENROLLED, OutcomeStatus.ALREADY_ENROLLED}
    enrolled = Counter((o.user_id, o.intention_uuid) for o in outcomes if o.status == OutcomeStatus.ENROLLED)
    assert enrolled == Counter({(learner.pk, intention.uuid): 1 for learner in learners for intention in intentions})
    if backend.endswith("CountingEnrollmentBackend"):
        assert CountingEnrollmentBackend.enroll_calls == Counter({DEMO_RUN: len(learners), OTHER_RUN: len(learners)})
    assert CourseEnrollment.objects.count() == 2 * len(learners)
    assert get_enterprise_course_enrollment_model()._default_manager.count() == 2 * len(learners)
    assert DefaultEnterpriseEnrollmentRealization.objects.count() == 2 * len(learners)
