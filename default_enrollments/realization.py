"""
Realization: decide for every intention of one learner and customer, then have the writer act.

``evaluate_intentions`` gathers the facts in batches (one catalog batch, one enrollment read, one query)
and asks the decision table (``decision.decide``); ``realize_intentions`` hands the enrollments and
upgrades to ``writer.write_many``: one transaction per learner and customer under the learner's lock, written in
bulk. ``realize_learners`` does the same for many learners of one customer (a backfill chunk), with the
reads made once for all of them and one transaction. One implementation for login, the REST API and backfills.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Model

from default_enrollments.backends import get_enrollment_backend, read_enrollments
from default_enrollments.backends.base import EnrollmentBackend
from default_enrollments.catalog.batch import resolve_intentions
from default_enrollments.catalog.resolution import best_mode
from default_enrollments.conf import app_settings
from default_enrollments.data import (
    Action,
    Eligibility,
    EnrollmentState,
    IntentionEvaluation,
    Outcome,
    Reason,
    Resolution,
)
from default_enrollments.decision import decide, is_audit_mode
from default_enrollments.exceptions import CatalogError, LicenseManagerError
from default_enrollments.models import get_enterprise_course_enrollment_model
from default_enrollments.outcomes import lowercase_keys, outcome_for_decision
from default_enrollments.writer import LearnerBatch, write_many

__all__ = [
    "decide", "evaluate_intentions", "evaluate_learners", "is_audit_mode", "realize_intentions", "realize_learners",
    "with_lms_modes",
]

logger = logging.getLogger(__name__)


#: Reasons that say a service every learner's decision needs did not answer: the next learner would wait too.
UNAVAILABLE_SERVICES = frozenset({Reason.CATALOG_UNAVAILABLE, Reason.LICENSE_MANAGER_UNAVAILABLE})


def evaluate_intentions(
    user: AbstractBaseUser,
    customer_user: Model,
    intentions: Sequence,
    *,
    deadline: float | None = None,
    resolutions: Mapping[UUID, Resolution] | None = None,
) -> list[IntentionEvaluation]:
    """
    Decide for every intention of one customer, with batched reads: one catalog batch (cached) and one backend
    ``get_course_modes`` call (neither when the caller passes the intentions' ``resolutions``, used as they
    are), one ``get_enrollments`` call, one enterprise-enrollment query and one eligibility call.

    The enterprise-enrollment query and the eligibility call are made only for the runs that need them:
    rule 1 (an active non-audit enrollment) settles a run before "left" matters, so a login with nothing
    to do costs the same few queries whatever the number of intentions (``left_enterprise_enrollment`` is
    then False, not looked up).
    """
    if not intentions:
        return []
    return evaluate_learners([(user, customer_user)], intentions, deadline=deadline, resolutions=resolutions)[0]


def evaluate_learners(
    learners: Sequence[tuple[AbstractBaseUser, Model]],
    intentions: Sequence,
    *,
    deadline: float | None = None,
    stop_when_unavailable: bool = False,
    resolutions: Mapping[UUID, Resolution] | None = None,
) -> list[list[IntentionEvaluation]]:
    """
    ``evaluate_intentions`` for several learners of one customer, with the same reads made once for all of
    them (one catalog batch, one enrollment read, one enterprise-enrollment query) and one eligibility call
    per learner that needs one. With ``stop_when_unavailable`` the learners after the first whose decisions
    wait on an unavailable catalog or license-manager are not evaluated (the list is shorter): each would wait
    out the same timeouts again. ``resolutions`` passed in are used as they are.
    """
    if resolutions is None:
        user_id = learners[0][0].pk if len(learners) == 1 else None
        resolutions = with_lms_modes(resolve_intentions(intentions, deadline=deadline), user_id=user_id)
    run_keys = sorted({res.run.course_run_key for res in resolutions.values() if res.run})
    enrollments = read_enrollments([user for user, _ in learners], run_keys)
    unsettled = {
        customer_user.pk: [key for key in run_keys if not _settled(enrollments[user.pk].get(key.lower()))]
        for user, customer_user in learners
    }
    left = _left_run_keys(unsettled)
    evaluated = []
    for user, customer_user in learners:
        evaluations = _evaluate((user, customer_user), intentions, resolutions, enrollments=enrollments[user.pk],
                                left=left.get(customer_user.pk, set()), deadline=deadline)
        evaluated.append(evaluations)
        if stop_when_unavailable and any(e.decision.reason in UNAVAILABLE_SERVICES for e in evaluations):
            break
    return evaluated


def _evaluate(learner: tuple[AbstractBaseUser, Model], intentions: Sequence, resolutions: dict, *,
              enrollments: dict[str, EnrollmentState], left: set[str],
              deadline: float | None) -> list[IntentionEvaluation]:
    """One learner's decisions on facts read in batches; the policy is asked only for the runs that need it."""
    user, customer_user = learner
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


def with_lms_modes(resolutions: Mapping[UUID, Resolution], *, user_id: int | None = None) -> dict[UUID, Resolution]:
    """
    The resolutions with each run's best mode taken from the modes the LMS offers today, where the enrollment
    backend answers for the run (one ``get_course_modes`` call for all of them); the catalog's seats decide
    for the others.

    The LMS is read live, never cached: a mode past its upgrade deadline stops counting at once. A backend
    that fails costs nothing but this refinement: the catalog's seats decide, and the read runs in its own
    savepoint so that a failed query leaves the caller's transaction usable.
    """
    run_keys = sorted({res.run.course_run_key for res in resolutions.values() if res.run})
    if not run_keys:
        return dict(resolutions)
    try:
        backend = get_enrollment_backend()
        if type(backend).get_course_modes is EnrollmentBackend.get_course_modes:
            return dict(resolutions)  # a backend that answers no modes costs no savepoint
        with transaction.atomic():
            answers = lowercase_keys(backend.get_course_modes(run_keys))
    except Exception as exc:  # noqa: BLE001 (whatever the LMS does here, the catalog's seats still decide)
        logger.warning("course modes not read from the LMS user=%s runs=%s error=%s",
                       user_id, len(run_keys), type(exc).__name__)
        return dict(resolutions)
    refined = dict(resolutions)
    for intention_uuid, resolution in resolutions.items():
        modes = answers.get(resolution.run.course_run_key.lower()) if resolution.run else None
        if isinstance(modes, (tuple, list)):
            run = replace(resolution.run, best_mode=best_mode([mode for mode in modes if isinstance(mode, str)]))
            refined[intention_uuid] = replace(resolution, run=run)
    return refined


def _ask_eligibility(
    user: AbstractBaseUser, customer_user: Model, runs: list, *, deadline: float | None
) -> dict[str, Eligibility]:
    """
    The policy's answers (lowercased run keys); a catalog or license-manager outage makes every run "ask again
    later", and nothing is written for them.
    """
    if not runs:
        return {}
    try:
        answers = app_settings.ELIGIBILITY_POLICY(user, customer_user.enterprise_customer_id, runs, deadline=deadline)
    except (CatalogError, LicenseManagerError) as exc:
        reason = Reason.CATALOG_UNAVAILABLE if isinstance(exc, CatalogError) else Reason.LICENSE_MANAGER_UNAVAILABLE
        logger.warning(
            "eligibility not decided user=%s customer=%s runs=%s reason=%s error=%s",
            user.pk, customer_user.enterprise_customer_id, len(runs), reason, exc,
        )
        unavailable = Eligibility(eligible=False, reason=reason)
        return {run.course_run_key.lower(): unavailable for run in runs}
    return lowercase_keys(answers)


def _settled(enrollment: EnrollmentState | None) -> bool:
    """Rule 1 holds: an active non-audit enrollment, which nothing else in the table can override."""
    return enrollment is not None and enrollment.is_active and not is_audit_mode(enrollment.mode)


def _left_run_keys(run_keys_by_customer_user: dict[object, list[str]]) -> dict[object, set[str]]:
    """Runs whose enterprise enrollment says the learner unenrolled (lowercased keys), per customer-user pk."""
    wanted = {pk: {key.lower() for key in keys} for pk, keys in run_keys_by_customer_user.items() if keys}
    if not wanted:
        return {}
    keys = sorted({key for keys in run_keys_by_customer_user.values() for key in keys})
    rows = get_enterprise_course_enrollment_model()._default_manager.filter(
        enterprise_customer_user_id__in=list(wanted), course_id__in=keys, unenrolled=True
    ).values_list("enterprise_customer_user_id", "course_id")
    left: dict[object, set[str]] = {}
    for customer_user_pk, course_id in rows:
        if course_id.lower() in wanted[customer_user_pk]:
            left.setdefault(customer_user_pk, set()).add(course_id.lower())
    return left


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
    transaction under the learner's lock (``writer.write_many``). ``dry_run`` decides and reports what would be
    done, writing nothing. Outcomes are returned, not logged: callers record them
    (``monitoring.record_outcomes``) under their own source.
    """
    if not intentions:
        return []
    return realize_learners([(user, customer_user)], intentions, deadline=deadline, dry_run=dry_run)[0]


def realize_learners(
    learners: Sequence[tuple[AbstractBaseUser, Model]],
    intentions: Sequence,
    *,
    deadline: float | None = None,
    dry_run: bool = False,
    stop_when_unavailable: bool = False,
) -> list[list[Outcome]]:
    """
    ``realize_intentions`` for several learners of one customer: evaluated together (``evaluate_learners``),
    written in one transaction under all their locks (``writer.write_many``). Outcomes per learner, in order;
    with ``stop_when_unavailable`` the list ends after the first learner the catalog could not answer for.
    """
    # Never raises for the catalog: an outage comes back as decisions with reason catalog_unavailable.
    evaluated = evaluate_learners(learners, intentions, deadline=deadline, stop_when_unavailable=stop_when_unavailable)
    by_uuid = {intention.uuid: intention for intention in intentions}
    out_of_time = deadline is not None and time.monotonic() >= deadline
    outcomes: list[list[Outcome | None]] = []
    batch: list[LearnerBatch] = []
    positions: list[tuple[int, list[int]]] = []
    for (user, customer_user), evaluations in zip(learners, evaluated, strict=False):
        learner_outcomes: list[Outcome | None] = []
        to_write: list[int] = []
        items = []
        for evaluation in evaluations:
            intention = by_uuid[evaluation.intention_uuid]
            decision = evaluation.decision
            if out_of_time and decision.reason == Reason.CATALOG_UNAVAILABLE:
                # The catalog was cut short by the caller's budget rather than found broken.
                decision = replace(decision, reason=Reason.TIME_BUDGET_EXHAUSTED)
            outcome = None
            if decision.action in (Action.ENROLL, Action.UPGRADE) and not dry_run:
                to_write.append(len(learner_outcomes))
                items.append((intention, evaluation))
            else:
                outcome = outcome_for_decision(user, customer_user, intention, evaluation, decision)
                if dry_run and decision.action in (Action.ENROLL, Action.UPGRADE):
                    outcome = replace(outcome, detail="dry run: nothing written")
            learner_outcomes.append(outcome)
        if items:
            batch.append(LearnerBatch(user, customer_user, items))
            positions.append((len(outcomes), to_write))
        outcomes.append(learner_outcomes)
    if batch:
        for (index, to_write), written in zip(positions, write_many(batch), strict=True):
            for position, outcome in zip(to_write, written, strict=True):
                outcomes[index][position] = outcome
    return outcomes
