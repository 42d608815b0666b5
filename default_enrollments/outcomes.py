"""
Building the outcome of one (learner, intention): the one place the writer and realization turn a decision,
a refusal or a collision into the ``Outcome`` callers record.
"""
from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model

from default_enrollments.data import TRANSIENT_REASONS, Decision, IntentionEvaluation, Outcome, OutcomeStatus, Reason
from default_enrollments.decision import STATUS_FOR_ACTION

#: The detail of an outcome whose write collided with another's; confirmed or turned into a failure at the end.
CONCURRENT_WRITE = "enrolled concurrently by another worker"


def lowercase_keys(mapping: dict) -> dict:
    return {key.lower(): value for key, value in mapping.items()}


def outcome_for_decision(
    user: AbstractBaseUser, customer_user: Model, intention, evaluation: IntentionEvaluation, decision: Decision
) -> Outcome:
    run = evaluation.resolution.run
    status = STATUS_FOR_ACTION[decision.action]
    if status == OutcomeStatus.SKIPPED and decision.reason in TRANSIENT_REASONS:
        status = OutcomeStatus.FAILED
    detail = evaluation.resolution.message if not run else ""
    return make_outcome(user, customer_user, intention, status, run_key=run.course_run_key if run else None,
                        mode=decision.mode, reason=decision.reason, detail=detail)


def make_outcome(user: AbstractBaseUser, customer_user: Model, intention, status: OutcomeStatus, *,
                 run_key: str | None = None, mode: str | None = None, reason: Reason | None = None,
                 detail: str = "") -> Outcome:
    return Outcome(
        user_id=user.pk,
        enterprise_customer_uuid=customer_user.enterprise_customer_id,
        intention_uuid=intention.uuid,
        content_key=intention.content_key,
        status=status,
        course_run_key=run_key,
        mode=mode,
        reason=reason,
        detail=detail,
    )
