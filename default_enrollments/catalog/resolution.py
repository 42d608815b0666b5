"""
From a catalog course document to the concrete run an intention means: pure functions, no I/O.

A course key means the course's advertised run; a run key means exactly that run (keys compare
case-insensitively). The answer is a ``Resolution``: a ``ResolvedRun`` or a reason and a message
an operator can act on.

Documents come from another service and are not trusted: a field of the wrong type counts as absent,
and anything else unexpected while resolving one key becomes that key's ``catalog_answer_malformed``
reason, never an exception that would cost the learner's other intentions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from default_enrollments.conf import app_settings
from default_enrollments.data import ContentType, Reason, Resolution, ResolvedRun
from default_enrollments.keys import MalformedKey, content_type_for_key

#: Seat types that never make an enrollment mode on their own (credit is bought on top of verified).
NEVER_MODES = frozenset({"credit"})
#: Messages quote the catalog's words, but only so much of them: an answer's size is not the message's.
MESSAGE_FIELD_CHARS = 255
MESSAGE_RUNS = 10


def _text(value: Any) -> str:
    """A string field's value; anything that is not a string counts as absent (empty)."""
    return value if isinstance(value, str) else ""


def _runs(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    runs = document.get("course_runs")
    if not isinstance(runs, list):
        return []
    return [run for run in runs if isinstance(run, Mapping) and _text(run.get("key"))]


def find_run(document: Mapping[str, Any], course_run_key: str) -> Mapping[str, Any] | None:
    """The run of ``document`` whose key equals ``course_run_key``, ignoring case."""
    wanted = course_run_key.strip().lower()
    return next((run for run in _runs(document) if run["key"].lower() == wanted), None)


def advertised_run(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The run the catalog advertises for the course (``uuid == advertised_course_run_uuid``)."""
    wanted = _text(document.get("advertised_course_run_uuid")).lower()
    if not wanted:
        return None
    return next((run for run in _runs(document) if _text(run.get("uuid")).lower() == wanted), None)


def is_run_enrollable(run: Mapping[str, Any]) -> bool:
    """Enrollable = the catalog says ``is_enrollable`` and the run is ``published``."""
    return run.get("is_enrollable") is True and _text(run.get("status")) == "published"


def seat_modes(run: Mapping[str, Any]) -> tuple[str, ...]:
    """The run's seat types in catalog order, without duplicates."""
    seats = run.get("seats")
    if not isinstance(seats, list):
        return ()
    types = (_text(seat.get("type")) for seat in seats if isinstance(seat, Mapping))
    return tuple(dict.fromkeys(t for t in types if t))


def best_mode(modes: Sequence[str], priority: Sequence[str] | None = None) -> str | None:
    """The first mode of ``MODE_PRIORITY`` the run offers; ``credit`` never; None when nothing fits."""
    offered = {mode.lower() for mode in modes}
    for mode in priority if priority is not None else app_settings.MODE_PRIORITY:
        if mode.lower() in offered and mode.lower() not in NEVER_MODES:
            return mode
    return None


def _metadata(value: Any) -> Mapping[str, Any] | None:
    """A metadata object with string keys, or None when ``value`` is not one."""
    if not isinstance(value, Mapping):
        return None
    return {key: item for key, item in value.items() if isinstance(key, str)}


def normalized_metadata(document: Mapping[str, Any], run: Mapping[str, Any]) -> Mapping[str, Any]:
    """Dates and price for the run (``normalized_metadata_by_run``; the course-level copy for the advertised run)."""
    by_run = document.get("normalized_metadata_by_run")
    if isinstance(by_run, Mapping):
        wanted = _text(run.get("key")).lower()
        for key, metadata in by_run.items():
            if _text(key).lower() == wanted and _metadata(metadata) is not None:
                return _metadata(metadata)
    course_level = _metadata(document.get("normalized_metadata"))
    if course_level is not None and run is advertised_run(document):
        return course_level
    return {}


def resolved_run(document: Mapping[str, Any], run: Mapping[str, Any]) -> ResolvedRun:
    modes = seat_modes(run)
    return ResolvedRun(
        course_key=_text(document.get("key")),
        course_run_key=run["key"],
        is_enrollable=is_run_enrollable(run),
        best_mode=best_mode(modes),
        seat_modes=modes,
        normalized_metadata=normalized_metadata(document, run),
    )


def resolve(content_key: str, document: Mapping[str, Any] | None) -> Resolution:
    """
    Resolve an intention's key against its course document (None when the catalog does not know it).

    Never raises: whatever goes wrong while reading this key's document is this key's
    ``catalog_answer_malformed``, so one bad document costs only the intentions that name it.
    """
    key = content_key.strip() if isinstance(content_key, str) else ""
    try:
        return _resolve(key, document)
    except Exception:  # noqa: BLE001 (any surprise in a foreign document is that document's fault)
        return malformed(key)


def malformed(content_key: str) -> Resolution:
    """The resolution of a key whose catalog answer could not be read."""
    return Resolution(
        content_key,
        reason=Reason.CATALOG_MALFORMED,
        message=f"The catalog's answer for {content_key!r} could not be read; it will be asked again.",
    )


def _resolve(key: str, document: Any) -> Resolution:
    try:
        content_type = content_type_for_key(key)
    except MalformedKey as exc:
        return Resolution(key, reason=Reason.INVALID_KEY, message=str(exc))
    if document is None:
        what = "course" if content_type == ContentType.COURSE else "course run"
        return Resolution(key, reason=Reason.UNKNOWN_CONTENT, message=f"The catalog does not know the {what} {key!r}.")
    if not isinstance(document, Mapping):
        return malformed(key)

    course_key = _text(document.get("key"))[:MESSAGE_FIELD_CHARS] or "?"
    if content_type == ContentType.COURSE:
        run = advertised_run(document)
        if run is None:
            advertised_uuid = _text(document.get("advertised_course_run_uuid"))
            if advertised_uuid:
                detail = f"its advertised run {advertised_uuid[:MESSAGE_FIELD_CHARS]} is not among its runs"
            else:
                detail = "the catalog advertises no run for it"
            return Resolution(
                key,
                reason=Reason.NO_ADVERTISED_RUN,
                message=f"Course {course_key!r} has no advertised run to enroll in: {detail}. "
                f"Name a specific course run instead.",
            )
        return Resolution(key, run=resolved_run(document, run))

    run = find_run(document, key)
    if run is None:
        runs = [r["key"][:MESSAGE_FIELD_CHARS] for r in _runs(document)]
        known = ", ".join(runs[:MESSAGE_RUNS]) + (", …" if len(runs) > MESSAGE_RUNS else "") or "none"
        return Resolution(
            key,
            reason=Reason.RUN_NOT_IN_COURSE,
            message=f"Course {course_key!r} has no run {key!r} in the catalog (its runs: {known}).",
        )
    return Resolution(key, run=resolved_run(document, run))
