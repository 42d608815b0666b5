"""
Frozen value objects passed between the catalog, the decision table, the writers and the API.

Other apps import these (and ``default_enrollments.api``), never the models or internals.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

from django.utils.translation import gettext_lazy as _


class ContentType(StrEnum):
    """What an intention's key names, derived from the key's syntax."""

    COURSE = "course"
    COURSE_RUN = "course_run"


class Action(StrEnum):
    """What the decision table says to do for one (learner, intention)."""

    ENROLL = "enroll"
    UPGRADE = "upgrade"
    ALREADY_ENROLLED = "already_enrolled"
    SKIP = "skip"


class OutcomeStatus(StrEnum):
    """What realization did for one (learner, intention)."""

    ENROLLED = "enrolled"
    UPGRADED = "upgraded"
    ALREADY_ENROLLED = "already_enrolled"
    SKIPPED = "skipped"
    FAILED = "failed"  # an error; retried on a later login


class Reason(StrEnum):
    """Why an intention was skipped, failed or could not be resolved."""

    INVALID_KEY = "invalid_key"
    UNKNOWN_CONTENT = "unknown_content"
    NO_ADVERTISED_RUN = "no_advertised_run"
    RUN_NOT_IN_COURSE = "run_not_in_course"
    NOT_ENROLLABLE = "not_enrollable"
    UNENROLLED = "unenrolled"
    NOT_ELIGIBLE = "not_eligible"
    NO_MODE = "no_enrollable_mode"
    CATALOG_UNAVAILABLE = "catalog_unavailable"
    CATALOG_MALFORMED = "catalog_answer_malformed"  # the catalog's answer for this key could not be read
    ENROLLMENT_REFUSED = "enrollment_refused"
    TIME_BUDGET_EXHAUSTED = "time_budget_exhausted"
    WRITE_NOT_CONFIRMED = "write_not_confirmed"  # the database refused a write and the enrollment is not there
    INTERNAL_ERROR = "internal_error"  # an unexpected error while realizing this learner; logged with the ids
    # The subscription-license policy (``licenses.policy``):
    NO_LICENSE = "no_license"  # no activated license of a current plan (none, revoked, expired)
    LICENSE_NOT_ACTIVATED = "license_not_activated"  # a license is assigned but the learner has not activated it
    LICENSE_NOT_FOR_RUN = "license_not_for_run"  # the catalogs of the learner's licenses lack the run
    LICENSE_MANAGER_UNAVAILABLE = "license_manager_unavailable"  # license-manager could not be asked


#: Reasons that say "ask again later", not "this intention cannot be realized": reported as failures.
TRANSIENT_REASONS = frozenset({
    Reason.CATALOG_UNAVAILABLE,
    Reason.TIME_BUDGET_EXHAUSTED,
    Reason.WRITE_NOT_CONFIRMED,
    Reason.LICENSE_MANAGER_UNAVAILABLE,
})

#: What each reason means, in the words the validate command, the admin and the API show. ``{run}`` is the
#: run's key and ``{customer}`` the customer's uuid; reasons about the key itself carry the resolver's message.
REASON_MESSAGES: Mapping[Reason, str] = MappingProxyType({
    Reason.INVALID_KEY: "{message}",
    Reason.UNKNOWN_CONTENT: "{message}",
    Reason.NO_ADVERTISED_RUN: "{message}",
    Reason.RUN_NOT_IN_COURSE: "{message}",
    Reason.NOT_ENROLLABLE: _("run {run} is not open for enrollment (closed or unpublished)"),
    Reason.UNENROLLED: _("the learner left run {run}; they are not enrolled again"),
    Reason.NOT_ELIGIBLE: _("run {run} is not in any catalog of customer {customer}"),
    Reason.NO_MODE: _("run {run} offers no mode learners can be enrolled in"),
    Reason.CATALOG_UNAVAILABLE: "{message}",
    Reason.ENROLLMENT_REFUSED: _("the LMS refused the enrollment in run {run}"),
    Reason.TIME_BUDGET_EXHAUSTED: _("the time allowed for the catalog ran out; tried again later"),
    Reason.WRITE_NOT_CONFIRMED: _("the database refused the enrollment in run {run} and it is not there; tried again "
                                  "later"),
    Reason.INTERNAL_ERROR: _("an unexpected error stopped the realization; see the log for its traceback"),
    Reason.NO_LICENSE: _("the learner holds no activated subscription license of a current plan of customer "
                         "{customer}"),
    Reason.LICENSE_NOT_ACTIVATED: _("the learner's subscription license is assigned but not activated yet; run {run} "
                                    "waits for its activation"),
    Reason.LICENSE_NOT_FOR_RUN: _("run {run} is not in the catalog of any subscription license the learner holds"),
    Reason.LICENSE_MANAGER_UNAVAILABLE: _("license-manager could not say which subscription licenses the learner "
                                          "holds; tried again later"),
})


def reason_message(reason: Reason | None, *, run: str | None = None, customer: object = None, message: str = "") -> str:
    """The one wording of ``reason``; ``message`` is the resolver's or the catalog's own words, when any."""
    if reason is None:
        return message
    return REASON_MESSAGES[reason].format(run=run or "-", customer=customer or "-", message=message or reason.value)


def _frozen_mapping(value: Mapping | None) -> Mapping:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class EnrollmentState:
    """A learner's LMS enrollment in one run, read live from the enrollment backend."""

    mode: str
    is_active: bool


@dataclass(frozen=True)
class ResolvedRun:
    """The concrete course run an intention means right now, and what the catalog says of it."""

    course_key: str
    course_run_key: str
    is_enrollable: bool
    best_mode: str | None
    seat_modes: tuple[str, ...] = ()
    normalized_metadata: Mapping = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "normalized_metadata", _frozen_mapping(self.normalized_metadata))


@dataclass(frozen=True)
class Resolution:
    """An intention's key resolved against the catalog: a run, or the reason there is none."""

    content_key: str
    run: ResolvedRun | None = None
    reason: Reason | None = None
    message: str = ""

    @property
    def is_resolved(self) -> bool:
        return self.run is not None


@dataclass(frozen=True)
class Eligibility:
    """The eligibility policy's answer for one learner and one resolved run."""

    eligible: bool
    mode: str | None = None
    reason: Reason | None = None
    #: The subscription license that pays for the seat, when the policy knows it; the writer records it with
    #: the enrollment, in the same transaction.
    license_uuid: UUID | None = None


@dataclass(frozen=True)
class Decision:
    """One row of the decision table's answer."""

    action: Action
    reason: Reason | None = None
    mode: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened for one (learner, intention); returned by ``api.realize_default_enrollments``."""

    user_id: int
    enterprise_customer_uuid: UUID
    intention_uuid: UUID
    content_key: str
    status: OutcomeStatus
    course_run_key: str | None = None
    mode: str | None = None
    reason: Reason | None = None
    detail: str = ""

    @property
    def is_transient(self) -> bool:
        """A failure that says "ask again later" (the catalog, the time budget): worth a retry."""
        return self.status == OutcomeStatus.FAILED and self.reason in TRANSIENT_REASONS


@dataclass(frozen=True)
class IntentionEvaluation:
    """Everything the decision table looked at for one (learner, intention), and its answer."""

    intention_uuid: UUID
    content_key: str
    resolution: Resolution
    enrollment: EnrollmentState | None
    left_enterprise_enrollment: bool
    eligibility: Eligibility | None
    decision: Decision


@dataclass(frozen=True, slots=True)
class LiveIntention:
    """
    A live intention as realization reads it: its uuid, customer and content key, and nothing else.

    Every login builds one per intention of the learner's customers; a small value costs a fraction of a
    model instance, and realization reads only these fields of either.
    """

    uuid: UUID
    enterprise_customer_id: UUID
    content_key: str


@dataclass(frozen=True, kw_only=True)
class ResolvedIntention:
    """
    An intention's stored fields with what the catalog says of it, built for many intentions in one batch.

    Views, serializers and the admin read these rather than the model, so no read of a field calls out.
    """

    uuid: UUID
    content_key: str
    enterprise_customer_uuid: UUID
    created: datetime | None
    modified: datetime | None
    resolution: Resolution
    applicable_enterprise_catalog_uuids: tuple[str, ...] = ()
    content_type: str = ""

    @property
    def course_key(self) -> str | None:
        return self.resolution.run.course_key if self.resolution.run else None

    @property
    def course_run_key(self) -> str | None:
        return self.resolution.run.course_run_key if self.resolution.run else None

    @property
    def is_course_run_enrollable(self) -> bool:
        return bool(self.resolution.run and self.resolution.run.is_enrollable)

    @property
    def best_mode_for_course_run(self) -> str | None:
        return self.resolution.run.best_mode if self.resolution.run else None

    @property
    def course_run_normalized_metadata(self) -> Mapping:
        return self.resolution.run.normalized_metadata if self.resolution.run else MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class IntentionStatus(ResolvedIntention):
    """One intention as one learner sees it: what it resolves to, their live enrollment, the decision."""

    enrollment: EnrollmentState | None
    is_enrollment_audit: bool
    decision: Decision

    @property
    def has_existing_enrollment(self) -> bool:
        return self.enrollment is not None

    @property
    def is_existing_enrollment_active(self) -> bool | None:
        return self.enrollment.is_active if self.enrollment else None

    @property
    def is_existing_enrollment_audit(self) -> bool | None:
        return self.is_enrollment_audit if self.enrollment else None

    @property
    def reason(self) -> Reason | None:
        """Why the learner cannot be enrolled (None when enrollable or already enrolled)."""
        return self.decision.reason if self.decision.action == Action.SKIP else None

    @property
    def reason_message(self) -> str | None:
        """``reason`` in the words the validate command and the admin use."""
        if self.reason is None:
            return None
        return reason_message(
            self.reason, run=self.course_run_key, customer=self.enterprise_customer_uuid,
            message=self.resolution.message,
        )


@dataclass(frozen=True)
class LearnerStatus:
    """
    A learner's default enrollments for one customer, grouped by the decision table's answer.

    ``catalog_unavailable`` is true when the catalog could not be asked; the intentions it would have
    resolved are then in ``not_enrollable`` with the reason ``catalog_unavailable``.
    """

    lms_user_id: int
    user_email: str
    enterprise_customer_uuid: UUID
    already_enrolled: tuple[IntentionStatus, ...]
    enrollable: tuple[IntentionStatus, ...]
    not_enrollable: tuple[IntentionStatus, ...]
    catalog_unavailable: bool = False

    @property
    def total(self) -> int:
        return len(self.already_enrolled) + len(self.enrollable) + len(self.not_enrollable)
