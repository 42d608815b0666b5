"""
Validation of intentions: does each live intention lead to a run its customer's learners can be enrolled in?

``manage.py default_enrollments_validate_intentions`` prints these checks. Each intention is decided by the
decision table of realization, as for a learner with no enrollment, with the customer's catalogs standing
in for the eligibility policy (there is no learner to ask about). Modes are the ones login would use: the
LMS's own, where the enrollment backend answers for a run, else the catalog's seats.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from uuid import UUID

from default_enrollments import api
from default_enrollments.data import Action, Eligibility, Reason, Resolution, ResolvedRun, reason_message
from default_enrollments.decision import decide
from default_enrollments.eligibility import catalog_membership_policy
from default_enrollments.exceptions import CatalogError
from default_enrollments.keys import stored_content_type
from default_enrollments.realization import with_lms_modes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntentionCheck:
    """The verdict on one live intention: does it lead to a run its customer's learners can be enrolled in?"""

    uuid: str
    customer: str
    content_key: str
    content_type: str
    course_run_key: str | None
    ok: bool
    reason: str | None = None
    message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def validate_intentions(enterprise_customer_uuid: UUID | None = None) -> list[IntentionCheck]:
    """
    Check every live intention: its key resolves to a run (one catalog batch per customer), the run is
    enrollable and has a mode to enroll in (one ``get_course_modes`` call per customer), and one of the
    customer's catalogs holds it (one ``filter_content_items`` call per customer).
    """
    by_customer: dict[UUID, list] = defaultdict(list)
    for intention in api.live_intentions(enterprise_customer_uuid):
        by_customer[intention.enterprise_customer_id].append(intention)

    checks: list[IntentionCheck] = []
    for customer_uuid, intentions in by_customer.items():
        resolutions = with_lms_modes(api.resolve_intentions(intentions))
        runs = {res.run.course_run_key: res.run for res in resolutions.values() if res.run}
        eligibilities, catalog_error = _customer_catalog_eligibility(customer_uuid, list(runs.values()))
        for intention in intentions:
            check = _check(intention, resolutions[intention.uuid], eligibilities, catalog_error)
            checks.append(check)
            if not check.ok:
                logger.info(
                    "default enrollment intention fails validation: customer=%s intention=%s content_key=%s "
                    "run=%s reason=%s message=%s",
                    check.customer, check.uuid, check.content_key, check.course_run_key or "", check.reason,
                    check.message,
                )
    return checks


def _customer_catalog_eligibility(customer_uuid: UUID, runs: Sequence[ResolvedRun]) -> tuple[dict, str]:
    """
    Eligibility by lowercased run key (in one of the customer's catalogs, with a mode to enroll in), and the
    catalog's error when it could not say.
    """
    if not runs:
        return {}, ""
    try:
        answers = catalog_membership_policy(None, customer_uuid, runs)
    except CatalogError as exc:
        unavailable = Eligibility(eligible=False, reason=Reason.CATALOG_UNAVAILABLE)
        error = f"could not ask the catalog which of customer {customer_uuid}'s catalogs hold the runs: {exc}"
        return {run.course_run_key.lower(): unavailable for run in runs}, error
    return {key.lower(): answer for key, answer in answers.items()}, ""


def _check(intention, resolution: Resolution, eligibilities: dict[str, Eligibility], catalog_error: str):
    run = resolution.run
    eligibility = eligibilities.get(run.course_run_key.lower()) if run else None
    decision = decide(resolution, None, False, eligibility or Eligibility(eligible=False, reason=Reason.NOT_ELIGIBLE))
    ok = decision.action == Action.ENROLL
    if ok:
        message = f"enrolls learners in {run.course_run_key} as {decision.mode}"
    else:
        detail = catalog_error if run else resolution.message or f"{intention.content_key} does not resolve to a run"
        message = reason_message(
            decision.reason, run=run.course_run_key if run else None, customer=intention.enterprise_customer_id,
            message=detail,
        )
    return IntentionCheck(
        uuid=str(intention.uuid),
        customer=str(intention.enterprise_customer_id),
        content_key=intention.content_key,
        content_type=stored_content_type(intention),
        course_run_key=run.course_run_key if run else None,
        ok=ok,
        reason=None if ok else str(decision.reason),
        message=message,
    )
