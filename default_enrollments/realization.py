"""
The decision table and the atomic writer: one implementation for login, the REST API and backfills.

``decide`` is a pure function of what the catalog, the LMS and the enterprise records say;
``evaluate_intentions`` gathers those facts in batches (one catalog batch, one enrollment read, one
query) and applies it. Only this module decides and writes.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from default_enrollments.backends import get_enrollment_backend
from default_enrollments.conf import app_settings
from default_enrollments.data import (
    Action,
    Decision,
    Eligibility,
    EnrollmentState,
    IntentionEvaluation,
    Reason,
    Resolution,
)
from default_enrollments.models import get_enterprise_course_enrollment_model

logger = logging.getLogger(__name__)


def is_audit_mode(mode: str | None) -> bool:
    return mode in app_settings.AUDIT_MODES


def decide(
    resolution: Resolution,
    enrollment: EnrollmentState | None,
    left_enterprise_enrollment: bool,
    eligibility: Eligibility | None,
) -> Decision | None:
    """
    DESIGN.md 4, in order. Returns None when the answer depends on eligibility and none was given,
    so callers can ask the (batched) policy only for the intentions that need it.
    """
    run = resolution.run
    has_enrollment = enrollment is not None
    audit = has_enrollment and is_audit_mode(enrollment.mode)

    # 1. Active non-audit enrollment in the run.
    if has_enrollment and enrollment.is_active and not audit:
        return Decision(Action.ALREADY_ENROLLED, mode=enrollment.mode)
    # 2. A non-audit enrollment the learner left is never re-created.
    if left_enterprise_enrollment and not audit:
        return Decision(Action.SKIP, reason=Reason.UNENROLLED, mode=enrollment.mode if has_enrollment else None)
    # 3. Nothing to enroll into.
    if run is None:
        return Decision(Action.SKIP, reason=resolution.reason or Reason.UNKNOWN_CONTENT)
    if not run.is_enrollable:
        return Decision(Action.SKIP, reason=Reason.NOT_ENROLLABLE)
    has_paid_mode = run.best_mode is not None and not is_audit_mode(run.best_mode)
    # 4. Audit enrollment with a paid mode on offer: upgrade when eligible.
    if audit and has_paid_mode:
        if eligibility is None:
            return None
        if eligibility.eligible:
            return Decision(Action.UPGRADE, mode=eligibility.mode)
        return Decision(Action.SKIP, reason=eligibility.reason or Reason.NOT_ELIGIBLE, mode=enrollment.mode)
    # 5. Active audit enrollment and nothing better to offer.
    if audit and enrollment.is_active:
        return Decision(Action.ALREADY_ENROLLED, mode=enrollment.mode)
    # 6. and 7. Enroll when eligible.
    if eligibility is None:
        return None
    if not eligibility.eligible:
        return Decision(Action.SKIP, reason=eligibility.reason or Reason.NOT_ELIGIBLE)
    return Decision(Action.ENROLL, mode=eligibility.mode)


def evaluate_intentions(
    user, customer_user, intentions: Sequence, *, deadline: float | None = None
) -> list[IntentionEvaluation]:
    """
    Decide for every intention of one customer, with batched reads: one catalog batch (cached), one
    backend ``get_enrollments`` call, one enterprise-enrollment query and one eligibility call.
    """
    from default_enrollments.api import resolve_intentions  # noqa: PLC0415 (api imports this module)

    if not intentions:
        return []
    resolutions = resolve_intentions(intentions, deadline=deadline)
    run_keys = sorted({res.run.course_run_key for res in resolutions.values() if res.run})
    enrollments = _lowercase_keys(get_enrollment_backend().get_enrollments(user, run_keys)) if run_keys else {}
    left = _left_run_keys(customer_user, run_keys)

    def facts(intention):
        resolution = resolutions[intention.uuid]
        run_key = resolution.run.course_run_key.lower() if resolution.run else None
        return resolution, enrollments.get(run_key), run_key in left

    first_pass = {intention.uuid: decide(*facts(intention), eligibility=None) for intention in intentions}
    pending_runs = {
        resolutions[uuid].run.course_run_key: resolutions[uuid].run
        for uuid, decision in first_pass.items()
        if decision is None
    }
    eligibilities: dict[str, Eligibility] = {}
    if pending_runs:
        eligibilities = _lowercase_keys(
            app_settings.ELIGIBILITY_POLICY(
                user, customer_user.enterprise_customer_id, list(pending_runs.values()), deadline=deadline
            )
        )

    evaluations = []
    for intention in intentions:
        resolution, enrollment, has_left = facts(intention)
        decision = first_pass[intention.uuid]
        eligibility = None
        if decision is None:
            eligibility = eligibilities.get(resolution.run.course_run_key.lower()) or Eligibility(
                eligible=False, reason=Reason.NOT_ELIGIBLE
            )
            decision = decide(resolution, enrollment, has_left, eligibility)
        evaluations.append(
            IntentionEvaluation(
                intention_uuid=intention.uuid,
                content_key=intention.content_key,
                resolution=resolution,
                enrollment=enrollment,
                left_enterprise_enrollment=has_left,
                eligibility=eligibility,
                decision=decision,
            )
        )
    return evaluations


def _lowercase_keys(mapping: dict) -> dict:
    return {key.lower(): value for key, value in mapping.items()}


def _left_run_keys(customer_user, run_keys: Sequence[str]) -> set[str]:
    """Runs whose enterprise enrollment says the learner unenrolled (lowercased keys)."""
    if not run_keys:
        return set()
    rows = get_enterprise_course_enrollment_model()._default_manager.filter(
        enterprise_customer_user=customer_user, course_id__in=run_keys, unenrolled=True
    )
    return {course_id.lower() for course_id in rows.values_list("course_id", flat=True)}
