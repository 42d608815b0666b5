"""
A subscription-license eligibility policy for tests: a learner holds the license ``grant`` gave them, or none.

A real policy callable (plugged in through ``DEFAULT_ENROLLMENTS["ELIGIBILITY_POLICY"]``), not a mock: it answers
like a license policy does, eligible in the run's best mode with the license that pays, and not eligible without one.
"""
from __future__ import annotations

from uuid import UUID

from default_enrollments.data import Eligibility, Reason
from default_enrollments.models import get_enterprise_course_enrollment_model, get_licensed_enrollment_model

POLICY = f"{__name__}.license_policy"

#: The license each learner (by user id) holds right now.
HELD: dict[int, UUID] = {}


def license_policy(user, enterprise_customer_uuid, runs, *, deadline=None) -> dict[str, Eligibility]:
    license_uuid = HELD.get(user.pk) if user is not None else None
    return {
        run.course_run_key: (
            Eligibility(eligible=True, mode=run.best_mode, license_uuid=license_uuid)
            if license_uuid
            else Eligibility(eligible=False, reason=Reason.NOT_ELIGIBLE)
        )
        for run in runs
    }


def use_license_policy(settings) -> None:
    HELD.clear()
    settings.DEFAULT_ENROLLMENTS = {**(settings.DEFAULT_ENROLLMENTS or {}), "ELIGIBILITY_POLICY": POLICY}


def grant(user, license_uuid: UUID | None) -> None:
    if license_uuid is None:
        HELD.pop(user.pk, None)
    else:
        HELD[user.pk] = license_uuid


def fulfillments(user) -> list[tuple[str, UUID, bool]]:
    """(run, license, revoked) of the learner's license fulfillments."""
    return sorted(
        get_licensed_enrollment_model()._base_manager
        .filter(enterprise_course_enrollment__enterprise_customer_user__user_id=user.id)
        .values_list("enterprise_course_enrollment__course_id", "license_uuid", "is_revoked")
    )


def sources(user) -> list[tuple[str, str | None]]:
    """(run, source slug) of the learner's enterprise enrollments."""
    return sorted(
        get_enterprise_course_enrollment_model()._base_manager
        .filter(enterprise_customer_user__user_id=user.id)
        .values_list("course_id", "source__slug")
    )
