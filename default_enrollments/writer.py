"""
The atomic writer: carries out enroll and upgrade decisions, exactly once, under the learner's lock.

One transaction per learner and customer, a savepoint per intention; every decision is re-made on what
the database says once the lock is held. Only this module writes enrollments and realizations.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, Model, OuterRef

from default_enrollments.backends import get_enrollment_backend
from default_enrollments.data import (
    TRANSIENT_REASONS,
    Action,
    Decision,
    EnrollmentState,
    IntentionEvaluation,
    Outcome,
    OutcomeStatus,
    Reason,
)
from default_enrollments.decision import STATUS_FOR_ACTION, decide, is_audit_mode
from default_enrollments.exceptions import EnrollmentError
from default_enrollments.fulfillment import complete_enterprise_enrollments, new_enterprise_enrollment_fields
from default_enrollments.membership import is_member
from default_enrollments.models import (
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_user_model,
    get_realization_model,
)
from default_enrollments.monitoring import log_unexpected_error

logger = logging.getLogger("default_enrollments.realization")

#: The detail of an outcome whose write collided with another's; confirmed or turned into a failure at the end.
CONCURRENT_WRITE = "enrolled concurrently by another worker"


def lowercase_keys(mapping: dict) -> dict:
    return {key.lower(): value for key, value in mapping.items()}


class _LockedFacts:
    """
    What the database says about the runs to write, read once under the learner's lock, and kept up to
    date with what this transaction writes (two intentions may name one run).
    """

    def __init__(self, user: AbstractBaseUser, locked_customer_user, run_keys: list[str]) -> None:
        self.enrollments = lowercase_keys(get_enrollment_backend().get_enrollments(user, run_keys))
        self.left: set[str] = set()
        self.enterprise_enrollments: dict[str, int] = {}  # lowercased run key -> pk
        self.realized: set = set()  # pks of enterprise enrollments that already have a realization
        # Any realization counts, whoever wrote it (edx-enterprise's bulk enrollment writes them too).
        realization = get_realization_model()._default_manager.filter(realized_enrollment=OuterRef("pk"))
        rows = get_enterprise_course_enrollment_model()._default_manager.filter(
            enterprise_customer_user=locked_customer_user, course_id__in=run_keys
        ).values_list("pk", "course_id", "unenrolled", Exists(realization))
        exact = set(run_keys)
        for pk, course_id, unenrolled, is_realized in rows:
            run = course_id.lower()
            if unenrolled is True:
                self.left.add(run)
            if run not in self.enterprise_enrollments or course_id in exact:  # the row named exactly wins
                self.enterprise_enrollments[run] = pk
            if is_realized:
                self.realized.add(pk)

    def wrote(self, run_key: str, mode: str, enterprise_enrollment_pk) -> None:
        run = run_key.lower()
        self.enrollments[run] = EnrollmentState(mode=mode, is_active=True)
        self.left.discard(run)
        self.enterprise_enrollments[run] = enterprise_enrollment_pk
        self.realized.add(enterprise_enrollment_pk)


def write(
    user: AbstractBaseUser, customer_user: Model, items: list[tuple[object, IntentionEvaluation]]
) -> list[Outcome]:
    """
    Enroll (or upgrade) for each (intention, evaluation): LMS enrollment, enterprise enrollment, realization.

    Exactly once: every writer for a learner and customer first locks that customer-user row
    (``select_for_update``) and holds the lock until it commits, so writers take turns. Under the lock the
    LMS enrollments and enterprise enrollments of all the runs are read once (a read after the lock is
    granted sees everything the previous holder committed, at READ COMMITTED and at MySQL's REPEATABLE
    READ alike, whose snapshot is taken by the first plain read) and every decision is re-made on them;
    what this transaction writes is added to those facts, so a second intention for the same run sees the
    first one's enrollment. The loser of a race therefore sees the winner's enrollment and calls nothing.

    A failure costs one intention: each is written in its own savepoint, so a refusal or an error rolls
    back that intention only. Should the database give up the whole transaction (a deadlock on MySQL, a
    failed commit), every write of the batch is reported as failed, to be retried on a later login.
    """
    run_keys = sorted({evaluation.resolution.run.course_run_key for _, evaluation in items})
    outcomes: list[Outcome | None] = [None] * len(items)
    customer_user_model = get_enterprise_customer_user_model()
    try:
        with transaction.atomic():
            locked = customer_user_model._default_manager.select_for_update().get(pk=customer_user.pk)
            if not is_member(locked):
                return [
                    _outcome(user, customer_user, intention, OutcomeStatus.SKIPPED,
                             run_key=evaluation.resolution.run.course_run_key, reason=Reason.NOT_ELIGIBLE,
                             detail="the learner left the customer meanwhile")
                    for intention, evaluation in items
                ]
            facts = _LockedFacts(user, locked, run_keys)
            for position, (intention, evaluation) in enumerate(items):
                # One intention needs no savepoint of its own: the transaction is its savepoint.
                outcomes[position] = _write_one(user, customer_user, intention, evaluation,
                                                locked=locked, facts=facts, savepoint=len(items) > 1)
                if transaction.get_rollback():
                    break
            rolled_back = transaction.get_rollback()
    except Exception as exc:  # noqa: BLE001 (the lock, the reads or the commit failed: nothing of this batch stays)
        log_unexpected_error(
            logger, "default enrollments not written user=%s customer=%s intentions=%s",
            user.pk, customer_user.enterprise_customer_id, len(items),
        )
        return [_undone(user, customer_user, intention, evaluation, outcome=None, detail=type(exc).__name__)
                for intention, evaluation in items]
    if rolled_back:
        final = [
            _undone(user, customer_user, intention, evaluation, outcome=outcome,
                    detail="the transaction was rolled back")
            for (intention, evaluation), outcome in zip(items, outcomes, strict=True)
        ]
        if final != outcomes:
            logger.warning(
                "default enrollments rolled back user=%s customer=%s intentions=%s",
                user.pk, customer_user.enterprise_customer_id, len(items),
            )
        outcomes = final
    return _confirm_concurrent_writes(user, customer_user, outcomes)


def _write_one(user: AbstractBaseUser, customer_user: Model, intention, evaluation: IntentionEvaluation, *,
               locked: Model, facts: _LockedFacts, savepoint: bool) -> Outcome:
    run_key = evaluation.resolution.run.course_run_key
    current = facts.enrollments.get(run_key.lower())
    has_left = run_key.lower() in facts.left
    decision = decide(evaluation.resolution, current, has_left, evaluation.eligibility)
    if decision is None or decision.action not in (Action.ENROLL, Action.UPGRADE):
        decision = decision or Decision(Action.SKIP, reason=Reason.NOT_ELIGIBLE)
        return outcome_for_decision(user, customer_user, intention, evaluation, decision)
    try:
        with transaction.atomic(savepoint=savepoint):
            get_enrollment_backend().enroll(user, run_key, decision.mode,
                                               enterprise_customer_uuid=customer_user.enterprise_customer_id)
            enterprise_enrollment_pk = facts.enterprise_enrollments.get(run_key.lower())
            if enterprise_enrollment_pk is None:
                enterprise_enrollment_pk = _create_enterprise_enrollment(locked, run_key)
            elif run_key.lower() in facts.left:
                _clear_unenrolled(enterprise_enrollment_pk)
            if enterprise_enrollment_pk not in facts.realized:
                # Written under the lock; a writer without it (edx-enterprise's bulk enrollment) meets the
                # one-to-one constraint, handled below.
                get_realization_model()._default_manager.create(
                    realized_enrollment_id=enterprise_enrollment_pk, intended_enrollment_id=intention.uuid
                )
            license_uuid = evaluation.eligibility.license_uuid if evaluation.eligibility else None
            complete_enterprise_enrollments({enterprise_enrollment_pk: license_uuid})
    except EnrollmentError as exc:
        # The LMS's words may carry the username, the email or its whole answer: the log and the outcome get
        # the ids and the error's class only.
        logger.warning(
            "default enrollment refused by the LMS user=%s customer=%s intention=%s run=%s mode=%s error=%s",
            user.pk, customer_user.enterprise_customer_id, intention.uuid, run_key, decision.mode,
            type(exc).__name__,
        )
        return _outcome(user, customer_user, intention, OutcomeStatus.FAILED, run_key=run_key,
                        mode=decision.mode, reason=Reason.ENROLLMENT_REFUSED, detail=type(exc).__name__)
    except IntegrityError:
        # Perhaps another worker not holding our lock (a host's own enrollment code) wrote the same rows first;
        # perhaps nothing was written. ``_confirm_concurrent_writes`` looks once the transaction is over.
        return _outcome(user, customer_user, intention, OutcomeStatus.ALREADY_ENROLLED, run_key=run_key,
                        mode=decision.mode, detail=CONCURRENT_WRITE)
    except Exception as exc:  # noqa: BLE001 (one intention's failure must not stop the others)
        log_unexpected_error(
            logger, "default enrollment write failed user=%s customer=%s intention=%s run=%s",
            user.pk, customer_user.enterprise_customer_id, intention.uuid, run_key,
        )
        return _outcome(user, customer_user, intention, OutcomeStatus.FAILED, run_key=run_key,
                        mode=decision.mode, detail=type(exc).__name__)
    facts.wrote(run_key, decision.mode, enterprise_enrollment_pk)
    return _outcome(user, customer_user, intention, STATUS_FOR_ACTION[decision.action], run_key=run_key,
                    mode=decision.mode)


def _confirm_concurrent_writes(user: AbstractBaseUser, customer_user: Model, outcomes: list[Outcome]) -> list[Outcome]:
    """
    An ``IntegrityError`` says only that a row collided, not that the enrollment exists: re-read the LMS
    enrollment (through the backend) and the enterprise enrollment, after the transaction, and report
    ``already_enrolled`` only when both are there, else a failure the next login or task retries.
    """
    pending = {o.course_run_key for o in outcomes if o.detail == CONCURRENT_WRITE}
    if not pending:
        return outcomes
    try:
        enrollments = lowercase_keys(get_enrollment_backend().get_enrollments(user, sorted(pending)))
        recorded = {key.lower() for key in get_enterprise_course_enrollment_model()._default_manager.filter(
            enterprise_customer_user_id=customer_user.pk, course_id__in=sorted(pending)
        ).values_list("course_id", flat=True)}
    except Exception:  # noqa: BLE001 (cannot tell: report failed, to be retried)
        log_unexpected_error(logger, "default enrollments not confirmed user=%s customer=%s runs=%s",
                             user.pk, customer_user.enterprise_customer_id, len(pending))
        enrollments, recorded = {}, set()

    def is_there(outcome: Outcome) -> bool:
        state = enrollments.get(outcome.course_run_key.lower())
        return bool(state and state.is_active and outcome.course_run_key.lower() in recorded
                    and (state.mode == outcome.mode or not is_audit_mode(state.mode)))

    confirmed = []
    for outcome in outcomes:
        if outcome.detail != CONCURRENT_WRITE or is_there(outcome):
            confirmed.append(outcome)
            continue
        logger.warning("default enrollment write refused and not there user=%s customer=%s intention=%s run=%s",
                       user.pk, customer_user.enterprise_customer_id, outcome.intention_uuid, outcome.course_run_key)
        confirmed.append(replace(outcome, status=OutcomeStatus.FAILED, reason=Reason.WRITE_NOT_CONFIRMED,
                                 detail="the database refused the write; nothing was enrolled"))
    return confirmed


def _clear_unenrolled(enterprise_enrollment_pk) -> None:
    """
    An upgraded enrollment is no longer one the learner left: a revoked license leaves the audit enrollment
    active with the row marked ``unenrolled``, and the mark must not outlive the upgrade (edx-enterprise's
    learner views and our rule 2 read it). Written in the intention's savepoint, so a refusal undoes it too.
    """
    get_enterprise_course_enrollment_model()._default_manager.filter(pk=enterprise_enrollment_pk).update(
        unenrolled=None, unenrolled_at=None
    )


def _create_enterprise_enrollment(locked_customer_user: Model, run_key: str):
    """
    The new enterprise enrollment's pk. None existed under the lock; a host's own code may still have
    written one meanwhile (it does not take our lock), so the insert has a savepoint to fall back on.
    """
    manager = get_enterprise_course_enrollment_model()._default_manager
    try:
        with transaction.atomic():
            return manager.create(
                enterprise_customer_user=locked_customer_user, course_id=run_key, **new_enterprise_enrollment_fields()
            ).pk
    except IntegrityError:
        return manager.filter(enterprise_customer_user=locked_customer_user, course_id=run_key).values_list(
            "pk", flat=True
        ).get()


def _undone(user: AbstractBaseUser, customer_user: Model, intention, evaluation: IntentionEvaluation, *,
            outcome: Outcome | None, detail: str) -> Outcome:
    """A written outcome whose transaction did not commit becomes a failure; the others stand."""
    if outcome is not None and outcome.status not in (OutcomeStatus.ENROLLED, OutcomeStatus.UPGRADED):
        return outcome
    return _outcome(user, customer_user, intention, OutcomeStatus.FAILED,
                    run_key=evaluation.resolution.run.course_run_key, mode=evaluation.decision.mode, detail=detail)


def outcome_for_decision(
    user: AbstractBaseUser, customer_user: Model, intention, evaluation: IntentionEvaluation, decision: Decision
) -> Outcome:
    run = evaluation.resolution.run
    status = STATUS_FOR_ACTION[decision.action]
    if status == OutcomeStatus.SKIPPED and decision.reason in TRANSIENT_REASONS:
        status = OutcomeStatus.FAILED
    detail = evaluation.resolution.message if not run else ""
    return _outcome(user, customer_user, intention, status, run_key=run.course_run_key if run else None,
                    mode=decision.mode, reason=decision.reason, detail=detail)


def _outcome(user: AbstractBaseUser, customer_user: Model, intention, status: OutcomeStatus, *,
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
