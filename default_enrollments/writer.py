"""
The atomic writer: carries out enroll and upgrade decisions, exactly once, under the learners' locks.

One transaction per batch (one learner at login, a chunk of learners in the backfill); every decision is
re-made on what the database says once the locks are held (``batch_writer``). Only this module and
``batch_writer`` write enrollments and realizations.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Model

from default_enrollments.backends import get_enrollment_backend
from default_enrollments.batch_writer import LearnerBatch, Pending, Result, carry_out, outcome_of
from default_enrollments.data import IntentionEvaluation, Outcome, OutcomeStatus, Reason
from default_enrollments.decision import is_audit_mode
from default_enrollments.models import get_enterprise_course_enrollment_model
from default_enrollments.monitoring import log_unexpected_error
from default_enrollments.outcomes import CONCURRENT_WRITE, lowercase_keys, make_outcome

__all__ = ["CONCURRENT_WRITE", "LearnerBatch", "write_many"]

logger = logging.getLogger("default_enrollments.realization")


def write_many(batch: Sequence[LearnerBatch]) -> list[list[Outcome]]:
    """
    Enroll (or upgrade) for each learner's (intention, evaluation) items: LMS enrollment, enterprise enrollment,
    realization. One transaction for the batch (one learner at login, a chunk of learners in the backfill):
    the links are locked together, in primary-key order, and every table is written once for all of them.
    Outcomes per learner, in order.

    Exactly once: every writer for a learner and customer first locks that customer-user row
    (``select_for_update``) and holds the lock until it commits, so writers take turns. Under the lock the
    LMS enrollments and enterprise enrollments of all the runs are read once (a read after the lock is
    granted sees everything the previous holder committed, at READ COMMITTED and at MySQL's REPEATABLE
    READ alike, whose snapshot is taken by the first plain read) and every decision is re-made on them;
    what this transaction plans counts as written, so a second intention for the same run sees the
    first one's enrollment. The loser of a race therefore sees the winner's enrollment and calls nothing.

    The backend enrolls the runs in one call (``enroll_many``), a refusal costing its own run only; the
    enterprise enrollments, realizations and their history rows are then written in bulk. Should the
    database give up the whole transaction (a deadlock on MySQL, a failed commit), every write of the batch is
    reported as failed, to be retried on a later login.

    Should the batch fail as a whole, its learners are written again one transaction each, so that one
    learner's failure costs that learner only; and a single learner's batch that collides with rows written
    by someone not holding the lock is written again one run at a time, so the collision costs one run.
    """
    outcomes = _write(batch)
    return [
        _confirm_concurrent_writes(learner.user, learner.customer_user, learner_outcomes)
        for learner, learner_outcomes in zip(batch, outcomes, strict=True)
    ]


def _write(batch: Sequence[LearnerBatch]) -> list[list[Outcome]]:
    try:
        with transaction.atomic():
            results = carry_out(batch)
            rolled_back = transaction.get_rollback()
    except Exception as exc:  # noqa: BLE001 (the lock, a read, a write or the commit failed: nothing of it stays)
        parts = _parts(batch, exc)
        if parts is not None:
            logger.warning("default enrollments written in parts learners=%s runs=%s error=%s",
                           len(batch), sum(len(learner.items) for learner in batch), type(exc).__name__)
            return _write_in_parts(batch, parts)
        if isinstance(exc, IntegrityError):
            return [[_collided(learner, intention, evaluation) for intention, evaluation in learner.items]
                    for learner in batch]
        log_unexpected_error(
            logger, "default enrollments not written user=%s customer=%s intentions=%s",
            batch[0].user.pk, batch[0].customer_user.enterprise_customer_id, len(batch[0].items),
        )
        return [[_failed(learner, intention, evaluation, detail=type(exc).__name__)
                 for intention, evaluation in learner.items] for learner in batch]
    if not rolled_back:
        return [[outcome_of(result) for result in learner_results] for learner_results in results]
    if len(batch) > 1:
        logger.warning("default enrollments rolled back learners=%s; written one learner at a time", len(batch))
        return _write_in_parts(batch, [[(index, position) for position in range(len(learner.items))]
                                       for index, learner in enumerate(batch)])
    learner = batch[0]
    final = [_undone(learner, result) for result in results[0]]
    if any(isinstance(result, Pending) for result in results[0]):
        logger.warning(
            "default enrollments rolled back user=%s customer=%s intentions=%s",
            learner.user.pk, learner.customer_user.enterprise_customer_id, len(learner.items),
        )
    return [final]


def _parts(batch: Sequence[LearnerBatch], exc: Exception) -> list[list[tuple[int, int]]] | None:
    """
    How to write a failed batch again, as lists of (learner index, item position): one learner per part when
    there are several; one run per part for a single learner's collision; None when it cannot be split.
    """
    if len(batch) > 1:
        return [[(index, position) for position in range(len(learner.items))] for index, learner in enumerate(batch)]
    if not isinstance(exc, IntegrityError):
        return None
    by_run: dict[str, list[tuple[int, int]]] = {}
    for position, (_, evaluation) in enumerate(batch[0].items):
        by_run.setdefault(evaluation.resolution.run.course_run_key.lower(), []).append((0, position))
    return list(by_run.values()) if len(by_run) > 1 else None


def _write_in_parts(batch: Sequence[LearnerBatch], parts: list[list[tuple[int, int]]]) -> list[list[Outcome]]:
    """Each part in a transaction of its own; outcomes put back in the batch's order."""
    outcomes: list[list[Outcome | None]] = [[None] * len(learner.items) for learner in batch]
    for part in parts:
        learners: dict[int, list[int]] = {}
        for index, position in part:
            learners.setdefault(index, []).append(position)
        sub_batch = [LearnerBatch(batch[index].user, batch[index].customer_user,
                                  [batch[index].items[position] for position in positions])
                     for index, positions in learners.items()]
        for (index, positions), learner_outcomes in zip(learners.items(), _write(sub_batch), strict=True):
            for position, outcome in zip(positions, learner_outcomes, strict=True):
                outcomes[index][position] = outcome
    return outcomes


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


def _undone(learner: LearnerBatch, result: Result) -> Outcome:
    """An item whose write did not commit becomes a failure; the outcomes that needed no write stand."""
    if isinstance(result, Outcome):
        return result
    return make_outcome(learner.user, learner.customer_user, result.intention, OutcomeStatus.FAILED,
                        run_key=result.plan.run_key, mode=result.plan.decision.mode,
                        detail="the transaction was rolled back")


def _failed(learner: LearnerBatch, intention, evaluation: IntentionEvaluation, *, detail: str) -> Outcome:
    return make_outcome(learner.user, learner.customer_user, intention, OutcomeStatus.FAILED,
                        run_key=evaluation.resolution.run.course_run_key, mode=evaluation.decision.mode,
                        detail=detail)


def _collided(learner: LearnerBatch, intention, evaluation: IntentionEvaluation) -> Outcome:
    """A write that met a row someone else wrote; ``_confirm_concurrent_writes`` tells what it was."""
    return make_outcome(learner.user, learner.customer_user, intention, OutcomeStatus.ALREADY_ENROLLED,
                        run_key=evaluation.resolution.run.course_run_key, mode=evaluation.decision.mode,
                        detail=CONCURRENT_WRITE)
