"""
One batch of writes, inside the writer's transaction: lock the learners' links, read what is there, re-decide,
enroll through the backend, then write the enterprise enrollments and realizations in bulk.

A batch is one learner's intentions at login, or a chunk of learners in the backfill; the statements it costs
do not grow with its size except where a host's backend or receivers make them (``writer`` holds the
transaction, the fallbacks and the outcomes' final form).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, Model, OuterRef
from django.db.models.signals import post_save

from default_enrollments import bulk
from default_enrollments.backends import get_enrollment_backend, read_enrollments
from default_enrollments.backends.base import EnrollmentRequest
from default_enrollments.data import (
    Action,
    Decision,
    EnrollmentState,
    IntentionEvaluation,
    Outcome,
    OutcomeStatus,
    Reason,
)
from default_enrollments.decision import STATUS_FOR_ACTION, decide
from default_enrollments.exceptions import EnrollmentError
from default_enrollments.fulfillment import complete_enterprise_enrollments, new_enterprise_enrollment_fields
from default_enrollments.membership import members
from default_enrollments.models import (
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_model,
    get_enterprise_customer_user_model,
    get_realization_model,
)
from default_enrollments.monitoring import log_unexpected_error
from default_enrollments.outcomes import CONCURRENT_WRITE, make_outcome, outcome_for_decision

logger = logging.getLogger("default_enrollments.realization")

ENTERPRISE_ENROLLMENT_KEY = ("enterprise_customer_user_id", "course_id")
REALIZATION_KEY = ("realized_enrollment_id",)


@dataclass
class LearnerBatch:
    """One learner's intentions to write for one customer, with what was evaluated for each before the lock."""

    user: AbstractBaseUser
    customer_user: Model
    items: list[tuple[object, IntentionEvaluation]]


@dataclass(eq=False)
class Plan:
    """A run to enroll in or upgrade, for the first intention that asked; ``error`` is set when that failed."""

    learner: LearnerBatch
    intention: object
    evaluation: IntentionEvaluation
    decision: Decision
    locked: Model  # the learner's customer user, whose row this transaction has locked
    enterprise_enrollment_pk: Any = None
    realized: bool = False
    clear_unenrolled: bool = False
    error: Exception | None = None
    request: EnrollmentRequest = field(init=False)

    def __post_init__(self) -> None:
        self.request = EnrollmentRequest(self.learner.user, self.run_key, self.decision.mode,
                                         self.learner.customer_user.enterprise_customer_id)

    @property
    def run_key(self) -> str:
        return self.evaluation.resolution.run.course_run_key


@dataclass(frozen=True)
class Pending:
    """
    An item whose outcome waits on a plan: the plan's own intention, or a later one naming the same run for the
    same learner, which is already enrolled when the plan succeeds and fails with it otherwise.
    """

    plan: Plan
    learner: LearnerBatch
    intention: object

    @property
    def is_plan(self) -> bool:
        return self.intention is self.plan.intention and self.learner is self.plan.learner


Result = Outcome | Pending


class _Facts:
    """What the database says about one learner's runs, read under the lock, and updated by what is planned."""

    def __init__(self) -> None:
        self.left: set[str] = set()  # lowercased run keys whose enterprise enrollment is marked unenrolled
        self.enterprise_enrollments: dict[str, Any] = {}  # lowercased run key -> pk
        self.realized: set = set()  # enterprise enrollment pks that have a realization, whoever wrote it


def carry_out(batch: Sequence[LearnerBatch]) -> list[list[Result]]:
    """
    The batch's writes, in the caller's transaction; per learner, per item, an outcome or the plan it waits on.

    The links are locked in one statement, in primary-key order (two batches sharing learners take their
    locks in the same order, so they wait rather than deadlock). Everything after is read under the lock.
    Stops as soon as the database has given up the transaction (``transaction.get_rollback()``).
    """
    pks = sorted({learner.customer_user.pk for learner in batch})
    # Keys only: the lock is what matters, and the rows' fields are read again where they count (membership).
    locked = set(get_enterprise_customer_user_model()._base_manager.select_for_update().filter(
        pk__in=pks).order_by("pk").values_list("pk", flat=True))
    still_members = members(pks) & locked
    results: list[list[Result]] = []
    acting: list[tuple[int, LearnerBatch, Model]] = []
    for index, learner in enumerate(batch):
        if learner.customer_user.pk not in still_members:
            results.append([_left_meanwhile(learner, intention, evaluation) for intention, evaluation in learner.items])
        else:
            results.append([])
            acting.append((index, learner, learner.customer_user))
    if not acting:
        return results

    runs = sorted({evaluation.resolution.run.course_run_key for _, learner, _ in acting
                   for _, evaluation in learner.items})
    enrollments = read_enrollments(list({learner.user.pk: learner.user for _, learner, _ in acting}.values()), runs)
    facts = _read_facts([row.pk for _, _, row in acting], runs)
    plans: dict[tuple[Any, str], Plan] = {}  # (user pk, lowercased run key) -> the plan
    for index, learner, row in acting:
        results[index] = _plan(learner, row, enrollments.setdefault(learner.user.pk, {}),
                               facts.setdefault(row.pk, _Facts()), plans)
    if not plans:
        return results

    failures = get_enrollment_backend().enroll_many([plan.request for plan in plans.values()])
    if transaction.get_rollback():
        return results
    done = []
    for plan in plans.values():
        plan.error = failures.get(plan.request)
        if plan.error is None:
            done.append(plan)
        else:
            _log_failure(plan)
    _write_enterprise_enrollments(done)
    return results


def outcome_of(result: Result) -> Outcome:
    """The final outcome of an item once the batch's transaction committed."""
    if isinstance(result, Outcome):
        return result
    error = result.plan.error
    if error is None:
        return _pending_outcome(result, STATUS_FOR_ACTION[result.plan.decision.action] if result.is_plan
                                else OutcomeStatus.ALREADY_ENROLLED)
    if isinstance(error, EnrollmentError):
        return _pending_outcome(result, OutcomeStatus.FAILED, reason=Reason.ENROLLMENT_REFUSED,
                                detail=type(error).__name__)
    if isinstance(error, IntegrityError):
        # Perhaps another worker not holding our lock (a host's own enrollment code) wrote the same rows first;
        # perhaps nothing was written: the writer looks once the transaction is over.
        return _pending_outcome(result, OutcomeStatus.ALREADY_ENROLLED, detail=CONCURRENT_WRITE)
    return _pending_outcome(result, OutcomeStatus.FAILED, detail=type(error).__name__)


def _pending_outcome(result: Pending, status: OutcomeStatus, **kwargs) -> Outcome:
    return make_outcome(result.learner.user, result.learner.customer_user, result.intention, status,
                        run_key=result.plan.run_key, mode=result.plan.decision.mode, **kwargs)


def _read_facts(customer_user_pks: list, runs: list[str]) -> dict[Any, _Facts]:
    """The enterprise enrollments of these links in these runs, and which have a realization: one query."""
    # Any realization counts, whoever wrote it (edx-enterprise's bulk enrollment writes them too).
    realization = get_realization_model()._default_manager.filter(realized_enrollment=OuterRef("pk"))
    rows = get_enterprise_course_enrollment_model()._default_manager.filter(
        enterprise_customer_user_id__in=customer_user_pks, course_id__in=runs
    ).values_list("pk", "enterprise_customer_user_id", "course_id", "unenrolled", Exists(realization))
    exact = set(runs)
    facts: dict[Any, _Facts] = {}
    for pk, customer_user_pk, course_id, unenrolled, is_realized in rows:
        learner_facts = facts.setdefault(customer_user_pk, _Facts())
        run = course_id.lower()
        if unenrolled is True:
            learner_facts.left.add(run)
        if run not in learner_facts.enterprise_enrollments or course_id in exact:  # the row named exactly wins
            learner_facts.enterprise_enrollments[run] = pk
        if is_realized:
            learner_facts.realized.add(pk)
    return facts


def _plan(learner: LearnerBatch, locked: Model, enrollments: dict[str, EnrollmentState], facts: _Facts,
          plans: dict[tuple[Any, str], Plan]) -> list[Result]:
    """
    Re-decide every item on what the lock let us read; the first item to act on a run plans its write, and what
    it plans counts as written for the items after it (two intentions naming one run enroll once).
    """
    results: list[Result] = []
    for intention, evaluation in learner.items:
        run_key = evaluation.resolution.run.course_run_key
        run = run_key.lower()
        planned = plans.get((learner.user.pk, run))
        decision = decide(evaluation.resolution, enrollments.get(run), run in facts.left, evaluation.eligibility)
        if planned is not None:
            results.append(Pending(planned, learner, intention))
            continue
        if decision is None or decision.action not in (Action.ENROLL, Action.UPGRADE):
            decision = decision or Decision(Action.SKIP, reason=Reason.NOT_ELIGIBLE)
            results.append(outcome_for_decision(learner.user, learner.customer_user, intention, evaluation, decision))
            continue
        pk = facts.enterprise_enrollments.get(run)
        plan = Plan(learner, intention, evaluation, decision, locked, enterprise_enrollment_pk=pk,
                    realized=pk in facts.realized, clear_unenrolled=pk is not None and run in facts.left)
        plans[(learner.user.pk, run)] = plan
        enrollments[run] = EnrollmentState(mode=decision.mode, is_active=True)
        facts.left.discard(run)
        results.append(Pending(plan, learner, intention))
    return results


def _write_enterprise_enrollments(done: list[Plan]) -> None:
    """
    The enterprise enrollments, the cleared ``unenrolled`` marks and the realizations of the runs the backend
    enrolled, in bulk, then the host's fulfillment records for them.
    """
    if not done:
        return
    _create_enterprise_enrollments([plan for plan in done if plan.enterprise_enrollment_pk is None])
    model = get_enterprise_course_enrollment_model()
    cleared = [plan.enterprise_enrollment_pk for plan in done if plan.clear_unenrolled]
    if cleared:
        # An upgraded enrollment is no longer one the learner left: a revoked license leaves the audit enrollment
        # active with the row marked ``unenrolled``, and the mark must not outlive the upgrade (edx-enterprise's
        # learner views and our rule 2 read it).
        model._base_manager.filter(pk__in=cleared).update(unenrolled=None, unenrolled_at=None)
    realization_model = get_realization_model()
    bulk.insert(realization_model, [
        realization_model(realized_enrollment_id=plan.enterprise_enrollment_pk,
                          intended_enrollment_id=plan.intention.uuid)
        for plan in done if not plan.realized
    ], key_fields=REALIZATION_KEY)
    complete_enterprise_enrollments({
        plan.enterprise_enrollment_pk: plan.evaluation.eligibility.license_uuid if plan.evaluation.eligibility else None
        for plan in done
    })


def _create_enterprise_enrollments(plans: list[Plan]) -> None:
    """
    New enterprise enrollments for these plans. None existed under the lock; a host's own code may still have
    written some meanwhile (it does not take our lock, and may do it inside the backend's ``enroll``), so the
    insert has a savepoint to fall back on: those rows are read and reused, the others inserted.
    """
    if not plans:
        return
    model = get_enterprise_course_enrollment_model()
    fields = new_enterprise_enrollment_fields()
    rows = [model(enterprise_customer_user=plan.locked, course_id=plan.run_key, **fields) for plan in plans]
    try:
        with transaction.atomic():
            bulk.insert(model, rows, key_fields=ENTERPRISE_ENROLLMENT_KEY)
        created = rows
    except IntegrityError:
        there = {
            (customer_user_pk, course_id.lower()): pk
            for pk, customer_user_pk, course_id in model._base_manager.filter(
                enterprise_customer_user_id__in={plan.locked.pk for plan in plans},
                course_id__in={plan.run_key for plan in plans},
            ).values_list("pk", "enterprise_customer_user_id", "course_id")
        }
        created = [row for row in rows if (row.enterprise_customer_user_id, row.course_id.lower()) not in there]
        bulk.insert(model, created, key_fields=ENTERPRISE_ENROLLMENT_KEY)  # a second collision fails the batch
        for row in rows:
            row.pk = there.get((row.enterprise_customer_user_id, row.course_id.lower()), row.pk)
    for plan, row in zip(plans, rows, strict=True):
        plan.enterprise_enrollment_pk = row.pk
    _attach_customers([plan.locked for plan in plans], model)
    bulk.send_post_save(model, created)


def _attach_customers(customer_users: list[Model], enterprise_enrollment_model: type[Model]) -> None:
    """
    Receivers of a new enterprise enrollment (edx-enterprise's consent receiver) read its link's customer: give
    the locked links their customer from one query rather than one per row.
    """
    if not post_save.has_listeners(enterprise_enrollment_model):
        return
    missing = {row.enterprise_customer_id for row in customer_users if not _has_cached_customer(row)}
    if not missing:
        return
    customers = get_enterprise_customer_model()._base_manager.in_bulk(missing)
    for row in customer_users:
        if row.enterprise_customer_id in customers:
            row.enterprise_customer = customers[row.enterprise_customer_id]


def _has_cached_customer(customer_user: Model) -> bool:
    return customer_user._meta.get_field("enterprise_customer").is_cached(customer_user)


def _left_meanwhile(learner: LearnerBatch, intention, evaluation: IntentionEvaluation) -> Outcome:
    return make_outcome(learner.user, learner.customer_user, intention, OutcomeStatus.SKIPPED,
                        run_key=evaluation.resolution.run.course_run_key, reason=Reason.NOT_ELIGIBLE,
                        detail="the learner left the customer meanwhile")


def _log_failure(plan: Plan) -> None:
    user, customer_user, error = plan.learner.user, plan.learner.customer_user, plan.error
    if isinstance(error, EnrollmentError):
        # The LMS's words may carry the username, the email or its whole answer: the log and the outcome get
        # the ids and the error's class only.
        logger.warning(
            "default enrollment refused by the LMS user=%s customer=%s intention=%s run=%s mode=%s error=%s",
            user.pk, customer_user.enterprise_customer_id, plan.intention.uuid, plan.run_key, plan.decision.mode,
            type(error).__name__,
        )
    elif not isinstance(error, IntegrityError):
        log_unexpected_error(
            logger, "default enrollment write failed user=%s customer=%s intention=%s run=%s",
            user.pk, customer_user.enterprise_customer_id, plan.intention.uuid, plan.run_key, exc=error,
        )
