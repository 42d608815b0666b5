"""
The decision table and the atomic writer: one implementation for login, the REST API and backfills.

``decide`` is a pure function of what the catalog, the LMS and the enterprise records say;
``evaluate_intentions`` gathers those facts in batches (one catalog batch, one enrollment read, one
query) and applies it. ``realize_intentions`` acts on the answers: one transaction per learner and
customer under the learner's lock, a savepoint per intention. Only this module decides and writes.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from django.db import IntegrityError, transaction

from default_enrollments.backends import get_enrollment_backend
from default_enrollments.conf import app_settings
from default_enrollments.data import (
    Action,
    Decision,
    Eligibility,
    EnrollmentState,
    IntentionEvaluation,
    Outcome,
    OutcomeStatus,
    Reason,
    Resolution,
)
from default_enrollments.exceptions import CatalogError, EnrollmentError
from default_enrollments.models import (
    DefaultEnterpriseEnrollmentRealization,
    get_enterprise_course_enrollment_model,
    get_enterprise_customer_user_model,
)

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

    The enterprise-enrollment query and the eligibility call are made only for the runs that need them:
    rule 1 (an active non-audit enrollment) settles a run before "left" matters, so a login with nothing
    to do costs the same few queries whatever the number of intentions (``left_enterprise_enrollment`` is
    then False, not looked up).
    """
    from default_enrollments.api import resolve_intentions  # noqa: PLC0415 (api imports this module)

    if not intentions:
        return []
    resolutions = resolve_intentions(intentions, deadline=deadline)
    run_keys = sorted({res.run.course_run_key for res in resolutions.values() if res.run})
    enrollments = _lowercase_keys(get_enrollment_backend().get_enrollments(user, run_keys)) if run_keys else {}
    left = _left_run_keys(customer_user, [key for key in run_keys if not _settled(enrollments.get(key.lower()))])

    facts = []  # (intention, resolution, enrollment, has_left, first decision), in the intentions' order
    pending_runs = {}
    for intention in intentions:
        resolution = resolutions[intention.uuid]
        run = resolution.run
        run_key = run.course_run_key.lower() if run else None
        enrollment = enrollments.get(run_key)
        has_left = run_key in left
        decision = decide(resolution, enrollment, has_left, eligibility=None)
        if decision is None:
            pending_runs[run.course_run_key] = run
        facts.append((intention, resolution, enrollment, has_left, decision))
    eligibilities = _ask_eligibility(user, customer_user, list(pending_runs.values()), deadline=deadline)

    evaluations = []
    for intention, resolution, enrollment, has_left, first_decision in facts:
        decision, eligibility = first_decision, None
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


def _ask_eligibility(user, customer_user, runs: list, *, deadline: float | None) -> dict[str, Eligibility]:
    """The policy's answers (lowercased run keys); a catalog outage makes every run "ask again later"."""
    if not runs:
        return {}
    try:
        answers = app_settings.ELIGIBILITY_POLICY(user, customer_user.enterprise_customer_id, runs, deadline=deadline)
    except CatalogError as exc:
        logger.warning(
            "eligibility not decided user=%s customer=%s runs=%s reason=%s error=%s",
            user.pk, customer_user.enterprise_customer_id, len(runs), Reason.CATALOG_UNAVAILABLE, exc,
        )
        unavailable = Eligibility(eligible=False, reason=Reason.CATALOG_UNAVAILABLE)
        return {run.course_run_key.lower(): unavailable for run in runs}
    return _lowercase_keys(answers)


def _settled(enrollment: EnrollmentState | None) -> bool:
    """Rule 1 holds: an active non-audit enrollment, which nothing else in the table can override."""
    return enrollment is not None and enrollment.is_active and not is_audit_mode(enrollment.mode)


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


# --- Acting on the decisions ------------------------------------------------------------------------

#: Reasons that say "ask again later", not "this intention cannot be realized": reported as failures.
TRANSIENT_REASONS = frozenset({Reason.CATALOG_UNAVAILABLE, Reason.TIME_BUDGET_EXHAUSTED})

_STATUS_FOR_ACTION = {
    Action.ENROLL: OutcomeStatus.ENROLLED,
    Action.UPGRADE: OutcomeStatus.UPGRADED,
    Action.ALREADY_ENROLLED: OutcomeStatus.ALREADY_ENROLLED,
    Action.SKIP: OutcomeStatus.SKIPPED,
}


def realize_intentions(
    user, customer_user, intentions: Sequence, *, deadline: float | None = None, dry_run: bool = False
) -> list[Outcome]:
    """
    Realize one customer's intentions for one learner: one outcome per intention.

    The catalog is asked first, holding no lock; then the intentions to act on are written in one
    transaction under the learner's lock, each in its own savepoint (``_write``). ``dry_run`` decides and
    reports what would be done, writing nothing. Outcomes are returned, not logged: callers record them
    (``monitoring.record_outcomes``) under their own source.
    """
    if not intentions:
        return []
    # Never raises for the catalog: an outage comes back as decisions with reason catalog_unavailable.
    evaluations = evaluate_intentions(user, customer_user, intentions, deadline=deadline)

    by_uuid = {intention.uuid: intention for intention in intentions}
    out_of_time = deadline is not None and time.monotonic() >= deadline
    outcomes: list[Outcome | None] = []
    to_write: list[tuple[int, object, IntentionEvaluation]] = []
    for evaluation in evaluations:
        intention = by_uuid[evaluation.intention_uuid]
        decision = evaluation.decision
        if out_of_time and decision.reason == Reason.CATALOG_UNAVAILABLE:
            # The catalog was cut short by the caller's budget rather than found broken.
            decision = replace(decision, reason=Reason.TIME_BUDGET_EXHAUSTED)
        if decision.action in (Action.ENROLL, Action.UPGRADE) and not dry_run:
            to_write.append((len(outcomes), intention, evaluation))
            outcome = None
        else:
            outcome = _outcome_for_decision(user, customer_user, intention, evaluation, decision)
            if dry_run and decision.action in (Action.ENROLL, Action.UPGRADE):
                outcome = replace(outcome, detail="dry run: nothing written")
        outcomes.append(outcome)
    if to_write:
        written = _write(user, customer_user, [(intention, evaluation) for _, intention, evaluation in to_write])
        for (position, _, _), outcome in zip(to_write, written, strict=True):
            outcomes[position] = outcome
    return outcomes


class _LockedFacts:
    """
    What the database says about the runs to write, read once under the learner's lock, and kept up to
    date with what this transaction writes (two intentions may name one run).
    """

    def __init__(self, user, locked_customer_user, run_keys: list[str]) -> None:
        self.enrollments = _lowercase_keys(get_enrollment_backend().get_enrollments(user, run_keys))
        self.left: set[str] = set()
        self.enterprise_enrollments: dict[str, int] = {}  # lowercased run key -> pk
        self.realized: set = set()  # pks of enterprise enrollments that already have a realization
        rows = get_enterprise_course_enrollment_model()._default_manager.filter(
            enterprise_customer_user=locked_customer_user, course_id__in=run_keys
        ).values_list("pk", "course_id", "unenrolled", "default_enrollment_realization")
        exact = set(run_keys)
        for pk, course_id, unenrolled, realization_pk in rows:
            run = course_id.lower()
            if unenrolled is True:
                self.left.add(run)
            if run not in self.enterprise_enrollments or course_id in exact:  # the row named exactly wins
                self.enterprise_enrollments[run] = pk
            if realization_pk is not None:
                self.realized.add(pk)

    def wrote(self, run_key: str, mode: str, enterprise_enrollment_pk) -> None:
        run = run_key.lower()
        self.enrollments[run] = EnrollmentState(mode=mode, is_active=True)
        self.enterprise_enrollments[run] = enterprise_enrollment_pk
        self.realized.add(enterprise_enrollment_pk)


def _write(user, customer_user, items: list[tuple[object, IntentionEvaluation]]) -> list[Outcome]:
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
            if not (locked.active and locked.linked):
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
        logger.exception(
            "default enrollments not written user=%s customer=%s intentions=%s",
            user.pk, customer_user.enterprise_customer_id, len(items),
        )
        return [_undone(user, customer_user, intention, evaluation, outcome=None, detail=f"{type(exc).__name__}: {exc}")
                for intention, evaluation in items]
    if not rolled_back:
        return outcomes
    final = [
        _undone(user, customer_user, intention, evaluation, outcome=outcome, detail="the transaction was rolled back")
        for (intention, evaluation), outcome in zip(items, outcomes, strict=True)
    ]
    if final != outcomes:
        logger.warning(
            "default enrollments rolled back user=%s customer=%s intentions=%s",
            user.pk, customer_user.enterprise_customer_id, len(items),
        )
    return final


def _write_one(user, customer_user, intention, evaluation: IntentionEvaluation, *, locked, facts: _LockedFacts,
               savepoint: bool) -> Outcome:
    run_key = evaluation.resolution.run.course_run_key
    current = facts.enrollments.get(run_key.lower())
    has_left = run_key.lower() in facts.left
    decision = decide(evaluation.resolution, current, has_left, evaluation.eligibility)
    if decision is None or decision.action not in (Action.ENROLL, Action.UPGRADE):
        decision = decision or Decision(Action.SKIP, reason=Reason.NOT_ELIGIBLE)
        return _outcome_for_decision(user, customer_user, intention, evaluation, decision)
    try:
        with transaction.atomic(savepoint=savepoint):
            get_enrollment_backend().enroll(user, run_key, decision.mode)
            enterprise_enrollment_pk = facts.enterprise_enrollments.get(run_key.lower())
            if enterprise_enrollment_pk is None:
                enterprise_enrollment_pk = _create_enterprise_enrollment(locked, run_key)
            if enterprise_enrollment_pk not in facts.realized:
                # Only this code writes realizations, always under the lock: no need to look first.
                DefaultEnterpriseEnrollmentRealization.objects.create(
                    realized_enrollment_id=enterprise_enrollment_pk, intended_enrollment_id=intention.pk
                )
    except EnrollmentError as exc:
        logger.warning(
            "default enrollment refused by the LMS user=%s customer=%s intention=%s run=%s mode=%s error=%s",
            user.pk, customer_user.enterprise_customer_id, intention.uuid, run_key, decision.mode, exc,
        )
        return _outcome(user, customer_user, intention, OutcomeStatus.FAILED, run_key=run_key,
                        mode=decision.mode, reason=Reason.ENROLLMENT_REFUSED, detail=str(exc))
    except IntegrityError:
        # Another worker, not holding our lock (a host's own enrollment code), wrote the same rows first.
        return _outcome(user, customer_user, intention, OutcomeStatus.ALREADY_ENROLLED, run_key=run_key,
                        mode=decision.mode, detail="enrolled concurrently by another worker")
    except Exception as exc:  # noqa: BLE001 (one intention's failure must not stop the others)
        logger.exception(
            "default enrollment write failed user=%s customer=%s intention=%s run=%s",
            user.pk, customer_user.enterprise_customer_id, intention.uuid, run_key,
        )
        return _outcome(user, customer_user, intention, OutcomeStatus.FAILED, run_key=run_key,
                        mode=decision.mode, detail=f"{type(exc).__name__}: {exc}")
    facts.wrote(run_key, decision.mode, enterprise_enrollment_pk)
    return _outcome(user, customer_user, intention, _STATUS_FOR_ACTION[decision.action], run_key=run_key,
                    mode=decision.mode)


def _create_enterprise_enrollment(locked_customer_user, run_key: str):
    """
    The new enterprise enrollment's pk. None existed under the lock; a host's own code may still have
    written one meanwhile (it does not take our lock), so the insert has a savepoint to fall back on.
    """
    manager = get_enterprise_course_enrollment_model()._default_manager
    try:
        with transaction.atomic():
            return manager.create(enterprise_customer_user=locked_customer_user, course_id=run_key).pk
    except IntegrityError:
        return manager.filter(enterprise_customer_user=locked_customer_user, course_id=run_key).values_list(
            "pk", flat=True
        ).get()


def _undone(user, customer_user, intention, evaluation: IntentionEvaluation, *, outcome: Outcome | None,
            detail: str) -> Outcome:
    """A written outcome whose transaction did not commit becomes a failure; the others stand."""
    if outcome is not None and outcome.status not in (OutcomeStatus.ENROLLED, OutcomeStatus.UPGRADED):
        return outcome
    return _outcome(user, customer_user, intention, OutcomeStatus.FAILED,
                    run_key=evaluation.resolution.run.course_run_key, mode=evaluation.decision.mode, detail=detail)


def _outcome_for_decision(user, customer_user, intention, evaluation: IntentionEvaluation, decision: Decision):
    run = evaluation.resolution.run
    status = _STATUS_FOR_ACTION[decision.action]
    if status == OutcomeStatus.SKIPPED and decision.reason in TRANSIENT_REASONS:
        status = OutcomeStatus.FAILED
    detail = evaluation.resolution.message if not run else ""
    return _outcome(user, customer_user, intention, status, run_key=run.course_run_key if run else None,
                    mode=decision.mode, reason=decision.reason, detail=detail)


def _outcome(user, customer_user, intention, status: OutcomeStatus, *, run_key: str | None = None,
             mode: str | None = None, reason: Reason | None = None, detail: str = "") -> Outcome:
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
