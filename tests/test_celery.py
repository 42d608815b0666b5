"""
``ASYNC = True``: the login hands realization to a Celery task, and a real worker (consuming from Redis on
127.0.0.1, database 11 unless ``TEST_CELERY_BROKER_URL`` names another, so runs side by side do not share
a queue) writes the rows.
"""
import os
import time

import pytest
from django.db import OperationalError

from default_enrollments import tasks
from tests.learners import DEMO_COURSE, DEMO_RUN, World, lms_enrollments, nothing_written, realizations

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/11")
WAIT = 30  # seconds for the worker to do its job


@pytest.fixture
def worker(settings, catalog_server):
    """A Celery worker thread on a clean Redis queue; ASYNC on."""
    redis = pytest.importorskip("redis")
    from celery.contrib.testing import tasks as ping_tasks  # noqa: F401, PLC0415 (registers celery.ping)
    from celery.contrib.testing.worker import start_worker  # noqa: PLC0415

    from tests.celery_app import app  # noqa: PLC0415

    try:
        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {BROKER_URL}: {exc}")
    app.conf.update(broker_url=BROKER_URL, result_backend=None, task_always_eager=False)
    settings.DEFAULT_ENROLLMENTS = {**settings.DEFAULT_ENROLLMENTS, "ASYNC": True}
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        yield app


def wait_for(condition, timeout: float = WAIT) -> bool:
    """Poll ``condition``; SQLite's shared in-memory test database reports "table is locked" mid-write."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            pass
        time.sleep(0.1)
    return condition()


def test_login_queues_the_realization_and_a_worker_writes_the_rows(worker, catalog_server, client):
    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    learner = world.learner()

    started = time.monotonic()
    assert client.login(username=learner.username, password="password")
    assert time.monotonic() - started < 1.0, "the login itself does not wait for the catalog"

    assert wait_for(lambda: realizations(learner) == [(DEMO_COURSE, DEMO_RUN)])
    assert lms_enrollments(learner) == {DEMO_RUN: ("verified", True)}


def test_backfill_chunk_task_realizes_the_learners_it_names(worker, catalog_server):
    world = World(catalog_server)
    world.demo_course()
    world.intention(DEMO_COURSE)
    learners = [world.learner() for _ in range(3)]
    links = [world.customer.enterprise_customer_users.get(user_id=learner.pk) for learner in learners[:2]]

    tasks.realize_default_enrollments_for_customer_users.delay([link.pk for link in links])

    assert wait_for(lambda: all(realizations(learner) for learner in learners[:2]))
    assert nothing_written(learners[2])
