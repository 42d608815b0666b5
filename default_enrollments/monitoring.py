"""
Structured log lines and counters for realization outcomes, so hosts can graph and alert on them.

Counters go to edx-django-utils' monitoring custom attributes when that package is installed (an Open edX
host exports them to New Relic, Datadog or OpenTelemetry); elsewhere only the log lines are written. Each
realization runs in its own span (``realization_span``), so a trace shows what it cost inside the login or task.
"""
from __future__ import annotations

import logging
import sys
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext

from default_enrollments.data import Outcome, OutcomeStatus

logger = logging.getLogger("default_enrollments.outcomes")

try:  # optional: present in every Open edX host, not required elsewhere
    from edx_django_utils.monitoring import accumulate as _accumulate
    from edx_django_utils.monitoring import function_trace as _function_trace
except ImportError:  # pragma: no cover - exercised only without edx-django-utils
    _accumulate = None
    _function_trace = None

ATTRIBUTE_PREFIX = "default_enrollments"
REALIZATION_SPAN = f"{ATTRIBUTE_PREFIX}.realize"

_LEVELS = {
    OutcomeStatus.ENROLLED: logging.INFO,
    OutcomeStatus.UPGRADED: logging.INFO,
    OutcomeStatus.ALREADY_ENROLLED: logging.DEBUG,
    OutcomeStatus.SKIPPED: logging.INFO,
    OutcomeStatus.FAILED: logging.WARNING,
}


def accumulate(name: str, value: int | float = 1) -> None:
    """Add ``value`` to the custom attribute ``default_enrollments.<name>``, when monitoring is available."""
    if _accumulate is not None:
        _accumulate(f"{ATTRIBUTE_PREFIX}.{name}", value)


@contextmanager
def realization_span(source: str) -> Iterator[None]:
    """
    A span named ``default_enrollments.realize`` (operation: the trigger, e.g. ``login``) around one realization.

    Every realization of a learner, whatever triggered it, is one span under the login request or the task.
    """
    span = _function_trace(REALIZATION_SPAN, operation_name=source) if _function_trace else nullcontext()
    with span:
        yield


def log_unexpected_error(log: logging.Logger, message: str, *args: object, exc: BaseException | None = None) -> None:
    """
    Log ``exc`` (by default the exception being handled) at ERROR with its traceback's frames and its class,
    but not its text: an error raised by host code (an enrollment backend, an eligibility policy) may name the
    learner or quote an LMS answer, and our log lines carry ids only. The frames (file, line, source) say where.
    """
    exc = exc or sys.exc_info()[1]
    frames = "".join(traceback.format_tb(exc.__traceback__)) if exc is not None else ""
    log.error(f"{message} error=%s\nTraceback (most recent call last):\n%s", *args, type(exc).__name__, frames)


def record_outcomes(outcomes: Iterable[Outcome], *, source: str, dry_run: bool = False) -> None:
    """
    One log line per (learner, intention) outcome, naming user, customer, intention, run, outcome and reason,
    and one counter update per outcome status (``default_enrollments.<source>.<status>``).
    """
    outcomes = list(outcomes)
    for outcome in outcomes:
        _log_outcome(outcome, source=source, dry_run=dry_run)
    if not dry_run:
        for status, count in Counter(outcome.status for outcome in outcomes).items():
            accumulate(f"{source}.{status.value}", count)


def _log_outcome(outcome: Outcome, *, source: str, dry_run: bool) -> None:
    level = _LEVELS.get(outcome.status, logging.INFO)
    if not logger.isEnabledFor(level):
        return  # the login path records an outcome per intention: build nothing nobody reads
    reason = outcome.reason.value if outcome.reason else ""
    logger.log(
        level,
        "default enrollment %s%s: user=%s customer=%s intention=%s content_key=%s run=%s mode=%s outcome=%s reason=%s",
        source,
        " (dry run)" if dry_run else "",
        outcome.user_id,
        outcome.enterprise_customer_uuid,
        outcome.intention_uuid,
        outcome.content_key,
        outcome.course_run_key or "",
        outcome.mode or "",
        outcome.status.value,
        reason,
        extra={
            "source": source,
            "dry_run": dry_run,
            "lms_user_id": outcome.user_id,
            "enterprise_customer_uuid": str(outcome.enterprise_customer_uuid),
            "intention_uuid": str(outcome.intention_uuid),
            "content_key": outcome.content_key,
            "course_run_key": outcome.course_run_key,
            "mode": outcome.mode,
            "outcome": outcome.status.value,
            "reason": reason or None,
        },
    )

