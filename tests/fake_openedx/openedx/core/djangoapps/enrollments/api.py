"""
An in-memory stand-in for ``openedx.core.djangoapps.enrollments.api``.

Same function names, arguments and answer shapes as edx-platform's; the state lives in ``ENROLLMENTS`` and
the courses that exist (with their modes) in ``COURSE_MODES``, so tests can arrange an LMS and inspect it.
A mode with a date in ``MODE_EXPIRATIONS`` is offered until then, as a ``CourseMode`` upgrade deadline is.
The stand-ins for ``CourseMode`` and ``CourseEnrollment`` (under ``common.djangoapps``) read the same state.

``CALLS`` records every call by name; ``READS`` records every read of the LMS's enrollments and modes (an API
call or a model query) with the number of rows it returned.
"""
from __future__ import annotations

from datetime import UTC, datetime

from openedx.core.djangoapps.enrollments import errors

ENROLLMENTS: dict[tuple[str, str], dict] = {}
COURSE_MODES: dict[str, list[str]] = {}
MODE_EXPIRATIONS: dict[tuple[str, str], datetime] = {}
CALLS: list[tuple] = []
READS: list[tuple[str, int]] = []
#: The mode the LMS enrolls in when a course offers none (edx-platform's ``COURSE_MODE_DEFAULTS["slug"]``).
DEFAULT_MODE_SLUG = "audit"


def reset() -> None:
    ENROLLMENTS.clear()
    COURSE_MODES.clear()
    MODE_EXPIRATIONS.clear()
    CALLS.clear()
    READS.clear()


def unexpired_modes(course_id: str) -> list[str]:
    """The course's modes whose upgrade deadline has not passed, or the default mode, as ``modes_for_course``."""
    now = datetime.now(UTC)
    course = course_id.lower()
    modes = [
        mode for mode in COURSE_MODES.get(course, [])
        if MODE_EXPIRATIONS.get((course, mode)) is None or MODE_EXPIRATIONS[(course, mode)] >= now
    ]
    return modes or [DEFAULT_MODE_SLUG]


def _answer(username: str, course_id: str, mode: str, is_active: bool) -> dict:
    return {
        "created": "2024-01-01T00:00:00Z",
        "mode": mode,
        "is_active": is_active,
        "user": username,
        "course_details": {"course_id": course_id, "course_name": course_id, "course_modes": []},
    }


def _check(course_id: str, mode: str | None) -> None:
    if course_id.lower() not in COURSE_MODES:
        raise errors.CourseNotFoundError(f"No course '{course_id}' found for enrollment")
    if mode is not None and mode not in unexpired_modes(course_id):
        raise errors.CourseModeNotFoundError(f"Specified course mode '{mode}' unavailable for course {course_id}.")


def get_enrollment(username: str, course_id: str) -> dict | None:
    CALLS.append(("get_enrollment", username, course_id))
    enrollment = ENROLLMENTS.get((username, course_id.lower()))
    READS.append(("get_enrollment", 1 if enrollment else 0))
    return dict(enrollment) if enrollment else None


def get_enrollments(username: str, include_inactive: bool = False) -> list[dict]:
    CALLS.append(("get_enrollments", username, include_inactive))
    answer = [
        dict(enrollment)
        for (owner, _), enrollment in ENROLLMENTS.items()
        if owner == username and (include_inactive or enrollment["is_active"])
    ]
    READS.append(("get_enrollments", len(answer)))
    return answer


def _add(username: str, course_id: str, mode: str | None, is_active: bool) -> dict:
    _check(course_id, mode)
    key = (username, course_id.lower())
    if key in ENROLLMENTS and ENROLLMENTS[key]["is_active"]:
        raise errors.CourseEnrollmentExistsError(f"{username} is already enrolled in {course_id}", ENROLLMENTS[key])
    ENROLLMENTS[key] = _answer(username, course_id, mode or DEFAULT_MODE_SLUG, is_active)
    return dict(ENROLLMENTS[key])


def add_enrollment(  # noqa: PLR0917 (edx-platform's signature)
    username: str,
    course_id: str,
    mode: str | None = None,
    is_active: bool = True,
    enrollment_attributes=None,
    enterprise_uuid=None,
    force_enrollment: bool = False,
    include_expired: bool = False,
) -> dict:
    CALLS.append(("add_enrollment", username, course_id, mode, is_active, enterprise_uuid))
    return _add(username, course_id, mode, is_active)


def add_enrollment_of_older_releases(  # noqa: PLR0917 (edx-platform's signature before enterprise_uuid)
    username: str,
    course_id: str,
    mode: str | None = None,
    is_active: bool = True,
    enrollment_attributes=None,
) -> dict:
    """``add_enrollment`` as LMS releases without its ``enterprise_uuid`` parameter have it."""
    CALLS.append(("add_enrollment", username, course_id, mode, is_active))
    return _add(username, course_id, mode, is_active)


def update_enrollment(  # noqa: PLR0917 (edx-platform's signature)
    username: str,
    course_id: str,
    mode: str | None = None,
    is_active: bool | None = None,
    enrollment_attributes=None,
    include_expired: bool = False,
) -> dict | None:
    CALLS.append(("update_enrollment", username, course_id, mode, is_active))
    _check(course_id, mode)
    enrollment = ENROLLMENTS.get((username, course_id.lower()))
    if enrollment is None:
        return None
    if mode is not None:
        enrollment["mode"] = mode
    if is_active is not None:
        enrollment["is_active"] = is_active
    return dict(enrollment)
