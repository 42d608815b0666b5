"""
Eligibility policies: may this learner be enrolled in these runs, and in which mode?

A policy is any callable with the signature of ``catalog_membership_policy``; hosts plug subscription
licenses or learner credit in through ``DEFAULT_ENROLLMENTS["ELIGIBILITY_POLICY"]``. It answers for many
runs at once so that it can batch its own lookups.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from default_enrollments.catalog import get_catalog
from default_enrollments.data import Eligibility, Reason, ResolvedRun

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


def catalog_membership_policy(
    user: AbstractBaseUser | None,
    enterprise_customer_uuid: UUID,
    runs: Sequence[ResolvedRun],
    *,
    deadline: float | None = None,
) -> dict[str, Eligibility]:
    """Eligible, in the run's best mode, when at least one of the customer's catalogs contains the run."""
    if not runs:
        return {}
    contained = get_catalog().filter_content_items(
        enterprise_customer_uuid, [run.course_run_key for run in runs], deadline=deadline
    )
    contained_lower = {key.lower() for key in contained}
    answers = {}
    for run in runs:
        if run.course_run_key.lower() not in contained_lower:
            answers[run.course_run_key] = Eligibility(eligible=False, reason=Reason.NOT_ELIGIBLE)
        elif not run.best_mode:
            answers[run.course_run_key] = Eligibility(eligible=False, reason=Reason.NO_MODE)
        else:
            answers[run.course_run_key] = Eligibility(eligible=True, mode=run.best_mode)
    return answers
