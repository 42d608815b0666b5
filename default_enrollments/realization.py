"""
Realization: decide for every intention of one learner and customer, then have the writer act.

``evaluate_intentions`` gathers the facts in batches (one catalog batch, one enrollment read, one query)
and asks the decision table (``decision.decide``); ``realize_intentions`` hands the enrollments and
upgrades to ``writer.write``: one transaction per learner and customer under the learner's lock, a
savepoint per intention. One implementation for login, the REST API and backfills.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model

from default_enrollments.backends import get_enrollment_backend
from default_enrollments.catalog.batch import resolve_intentions
from default_enrollments.conf import app_settings
from default_enrollments.data import (
    Action,
    Eligibility,
    EnrollmentState,
    IntentionEvaluation,
    Outcome,
    Reason,
)
from default_enrollments.decision import decide, is_audit_mode
from default_enrollments.exceptions import CatalogError
from default_enrollments.models import get_enterprise_course_enrollment_model
from default_enrollments.outcomes import lowercase_keys, outcome_for_decision
from default_enrollments.writer import write

__all__ = ["decide", "evaluate_intentions", "is_audit_mode", "realize_intentions"]

logger = logging.getLogger(__name__)


def evaluate_intentions(
    user: AbstractBaseUser, customer_user: Model, intentions: Sequence, *, deadline: float | None = None
) -> list[IntentionEvaluation]:
    """
    Decide for every intention of one customer, with batched reads: one catalog batch (cached), one
    backend ``get_enrollments`` call, one enterprise-enrollment query and one eligibility call.

    The enterprise-enrollment query and the eligibility call are made only for the runs that need them:
    rule 1 (an active non-audit enrollment) settles a run before "left" matters, so a login with nothing
    to do costs the same few queries whatever the number of intentions (``left_enterprise_enrollment`` is
    then False, not looked up).
    """
    if not intentions:
        return []
    resolutions = resolve_intentions(intentions, deadline=deadline)
    run_keys = sorted({res.run.course_run_key for res in resolutions.values() if res.run})
    enrollments = lowercase_keys(get_enrollment_backend().get_enrollments(user, run_keys)) if run_keys else {}
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
        evaluations.append(IntentionEvaluation(
            intention_uuid=intention.uuid, content_key=intention.content_key, resolution=resolution,
            enrollment=enrollment, left_enterprise_enrollment=has_left, eligibility=eligibility, decision=decision,
        ))
    return evaluations


def _ask_eligibility(
    user: AbstractBaseUser, customer_user: Model, runs: list, *, deadline: float | None
) -> dict[str, Eligibility]:
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
    return lowercase_keys(answers)


def _settled(enrollment: EnrollmentState | None) -> bool:
    """Rule 1 holds: an active non-audit enrollment, which nothing else in the table can override."""
    return enrollment is not None and enrollment.is_active and not is_audit_mode(enrollment.mode)


def _left_run_keys(customer_user: Model, run_keys: Sequence[str]) -> set[str]:
    """Runs whose enterprise enrollment says the learner unenrolled (lowercased keys)."""
    if not run_keys:
        return set()
    rows = get_enterprise_course_enrollment_model()._default_manager.filter(
        enterprise_customer_user=customer_user, course_id__in=run_keys, unenrolled=True
    )
    return {course_id.lower() for course_id in rows.values_list("course_id", flat=True)}


def realize_intentions(
    user: AbstractBaseUser,
    customer_user: Model,
    intentions: Sequence,
    *,
    deadline: float | None = None,
    dry_run: bool = False,
) -> list[Outcome]:
    """
    Realize one customer's intentions for one learner: one outcome per intention.

    The catalog is asked first, holding no lock; then the intentions to act on are written in one
    transaction under the learner's lock, each in its own savepoint (``writer.write``). ``dry_run`` decides and
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
            outcome = outcome_for_decision(user, customer_user, intention, evaluation, decision)
            if dry_run and decision.action in (Action.ENROLL, Action.UPGRADE):
                outcome = replace(outcome, detail="dry run: nothing written")
        outcomes.append(outcome)
    if to_write:
        written = write(user, customer_user, [(intention, evaluation) for _, intention, evaluation in to_write])
        for (position, _, _), outcome in zip(to_write, written, strict=True):
            outcomes[position] = outcome
    return outcomes
