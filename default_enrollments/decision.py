"""
The decision table: what to do for one learner and one intention, given what the catalog, the LMS and the
enterprise records say. A pure function; realization, the writer's locked re-check and validation ask it.
"""
from __future__ import annotations

from default_enrollments.conf import app_settings
from default_enrollments.data import Action, Decision, Eligibility, EnrollmentState, OutcomeStatus, Reason, Resolution

#: The outcome each action leads to once carried out.
STATUS_FOR_ACTION = {
    Action.ENROLL: OutcomeStatus.ENROLLED,
    Action.UPGRADE: OutcomeStatus.UPGRADED,
    Action.ALREADY_ENROLLED: OutcomeStatus.ALREADY_ENROLLED,
    Action.SKIP: OutcomeStatus.SKIPPED,
}


def is_audit_mode(mode: str | None) -> bool:
    return mode in app_settings.AUDIT_MODES


def decide(
    resolution: Resolution,
    enrollment: EnrollmentState | None,
    left_enterprise_enrollment: bool,
    eligibility: Eligibility | None,
) -> Decision | None:
    """
    The decision table (DESIGN.md section 4), in order; validation asks it as for a learner with no
    enrollment. Returns None when the answer depends on eligibility and none was given, so callers can
    ask the (batched) policy only for the intentions that need it.
    """
    run = resolution.run
    has_enrollment = enrollment is not None
    audit = has_enrollment and is_audit_mode(enrollment.mode)

    # 1. Active non-audit enrollment in the run.
    if has_enrollment and enrollment.is_active and not audit:
        return Decision(Action.ALREADY_ENROLLED, mode=enrollment.mode)
    # 2. An enrollment the learner left is never re-created, in any mode. Only an active audit enrollment
    #    marked left goes on to rule 4 (a revoked license leaves one behind; an upgrade clears the mark).
    if left_enterprise_enrollment and not (audit and enrollment.is_active):
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
