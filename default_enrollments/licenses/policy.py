"""
The subscription-license eligibility policy: a paid seat only where the learner's activated license pays for it.

Select it with ``DEFAULT_ENROLLMENTS["ELIGIBILITY_POLICY"] =
"default_enrollments.licenses.policy.subscription_license_policy"``. Per learner and customer it costs one
license-manager lookup (cached) and one catalog membership question per catalog of a usable license (cached by
the catalog layer), whatever the number of runs.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from default_enrollments.catalog import get_catalog
from default_enrollments.data import Eligibility, Reason, ResolvedRun
from default_enrollments.eligibility import catalog_membership_policy
from default_enrollments.licenses.client import ASSIGNED, SubscriptionLicense, get_licenses

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


def subscription_license_policy(
    user: AbstractBaseUser | None,
    enterprise_customer_uuid: UUID,
    runs: Sequence[ResolvedRun],
    *,
    deadline: float | None = None,
) -> dict[str, Eligibility]:
    """
    Eligible, in the run's best mode, when the learner holds an activated license of an active, current plan
    whose catalog contains the run; the license (the one whose plan ends last, when several would do) goes
    into ``Eligibility.license_uuid`` for the writer to record.

    Otherwise ``license_not_for_run`` (usable licenses, none for this run), ``license_not_activated`` (a license
    of a live plan waits for the learner to activate it) or ``no_license``. Without a learner (validation)
    only the catalog and the mode count, as with ``catalog_membership_policy``. Raises ``LicenseManagerError``
    when license-manager cannot be asked, and ``CatalogError`` when the catalog cannot.
    """
    if not runs:
        return {}
    if user is None:
        return catalog_membership_policy(user, enterprise_customer_uuid, runs, deadline=deadline)
    licenses = get_licenses(user.pk, getattr(user, "email", "") or "", enterprise_customer_uuid, deadline=deadline)
    usable = sorted((item for item in licenses if item.is_usable), key=lambda item: item.expiration, reverse=True)
    covering = _licenses_by_run(enterprise_customer_uuid, runs, usable, deadline)
    waiting = any(item.status == ASSIGNED and item.plan_is_live for item in licenses)

    answers = {}
    for run in runs:
        paying = covering.get(run.course_run_key.lower())
        if paying is None:
            reason = Reason.LICENSE_NOT_FOR_RUN if usable else (
                Reason.LICENSE_NOT_ACTIVATED if waiting else Reason.NO_LICENSE
            )
            answers[run.course_run_key] = Eligibility(eligible=False, reason=reason)
        elif not run.best_mode:
            answers[run.course_run_key] = Eligibility(eligible=False, reason=Reason.NO_MODE)
        else:
            answers[run.course_run_key] = Eligibility(eligible=True, mode=run.best_mode, license_uuid=paying.uuid)
    return answers


def _licenses_by_run(
    enterprise_customer_uuid: UUID,
    runs: Sequence[ResolvedRun],
    usable: list[SubscriptionLicense],
    deadline: float | None,
) -> dict[str, SubscriptionLicense]:
    """Per lowercased run key, the first of ``usable`` (latest expiration first) whose catalog holds the run."""
    catalog = get_catalog()
    keys = [run.course_run_key for run in runs]
    covering: dict[str, SubscriptionLicense] = {}
    asked: set[UUID] = set()
    for item in usable:
        if item.catalog_uuid in asked:
            continue
        asked.add(item.catalog_uuid)
        wanted = [key for key in keys if key.lower() not in covering]
        if not wanted:
            break
        contained = catalog.filter_content_items(
            enterprise_customer_uuid, wanted, [item.catalog_uuid], deadline=deadline
        )
        for key in contained:
            covering.setdefault(key.lower(), item)
    return covering
