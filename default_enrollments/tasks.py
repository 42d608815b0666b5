"""
Celery tasks: thin wrappers over ``api`` for hosts that set ``DEFAULT_ENROLLMENTS["ASYNC"] = True``.

Defined with ``shared_task`` so they bind to whatever Celery app the host runs, and tagged with the code-owner
custom attribute (edx-django-utils), which an LMS's monitoring uses to route a task's errors to its owners.
Work that failed because the catalog could not be reached is retried with a back-off; a learner who no longer
exists is not.
"""
from __future__ import annotations

import logging
from collections import Counter

from celery import shared_task
from edx_django_utils.monitoring import set_code_owner_attribute

from default_enrollments import api, backfill
from default_enrollments.data import Outcome

logger = logging.getLogger(__name__)

CATALOG_RETRY_DELAYS = (30, 120, 600)  # seconds before each retry when the catalog was unavailable


def _realization_task(name: str):
    """A bound, late-acknowledged task that may retry (``_retry_if_catalog_was_unavailable``); no result kept."""
    return shared_task(
        bind=True,
        name=f"default_enrollments.tasks.{name}",
        acks_late=True,
        max_retries=len(CATALOG_RETRY_DELAYS),
        ignore_result=True,
    )


@_realization_task("realize_default_enrollments")
@set_code_owner_attribute
def realize_default_enrollments_task(
    self, user_id: int, enterprise_customer_user_id: int | None = None, trigger: str = "task"
) -> dict[str, int]:
    """Realize one learner's default enrollments (of one customer when a link id is given); counts by status."""
    outcomes = api.realize_learner(user_id, customer_user=enterprise_customer_user_id, source=trigger)
    _retry_if_catalog_was_unavailable(self, outcomes, user_id)
    return _counts(outcomes)


@_realization_task("realize_default_enrollments_for_customer_users")
@set_code_owner_attribute
def realize_default_enrollments_for_customer_users(self, customer_user_ids: list[int]) -> dict[str, int]:
    """Backfill one chunk of customer users (queued by ``manage.py realize_default_enrollments`` with ASYNC)."""
    outcomes = backfill.realize_customer_user_chunk(customer_user_ids)
    _retry_if_catalog_was_unavailable(self, outcomes, None)
    return _counts(outcomes)


def _retry_if_catalog_was_unavailable(task, outcomes: list[Outcome], user_id: int | None) -> None:
    """Exactly-once writes make a retry safe: what was written is found and not written again."""
    if not any(outcome.is_transient for outcome in outcomes):
        return
    retries = task.request.retries or 0
    if retries >= len(CATALOG_RETRY_DELAYS):
        logger.warning("default enrollments task gives up after %s retries user=%s", retries, user_id or "*")
        return
    raise task.retry(countdown=CATALOG_RETRY_DELAYS[retries])


def _counts(outcomes: list[Outcome]) -> dict[str, int]:
    return dict(Counter(outcome.status.value for outcome in outcomes))


@shared_task(name="default_enrollments.tasks.realize_default_enrollments_for_customer", acks_late=True,
             ignore_result=True)
def realize_default_enrollments_for_customer(backfill_run_id: int) -> dict[str, int]:
    """Run one "enroll linked learners now" run (``BackfillRun``) for its customer; its progress is stored on it."""
    report = backfill.realize_customer(backfill_run_id)
    return dict(report.outcomes) if report else {}
