"""
An in-memory stand-in for ``openedx.core.djangoapps.enrollments.api``.

Same function names, arguments and answer shapes as edx-platform's; the state lives in ``ENROLLMENTS`` and
the courses that exist (with their modes) in ``COURSE_MODES``, so tests can arrange an LMS and inspect it.
``CALLS`` records every call by name.
"""
from __future__ import annotations

from openedx.core.djangoapps.enrollments import errors

ENROLLMENTS: dict[tuple[str, str], dict] = {}
COURSE_MODES: dict[str, list[str]] = {}
CALLS: list[tuple] = []


def reset() -> None:
    ENROLLMENTS.clear()
    COURSE_MODES.clear()
    CALLS.clear()


def _answer(username: str, course_id: str, mode: str, is_active: bool) -> dict:
    return {
        "created": "2024-01-01T00:00:00Z",
        "mode": mode,
        "is_active": is_active,
        "user": username,
        "course_details": {"course_id": course_id, "course_name": course_id, "course_modes": []},
    }


def _check(course_id: str, mode: str | None) -> None:
    modes = COURSE_MODES.get(course_id.lower())
    if modes is None:
        raise errors.CourseNotFoundError(f"No course '{course_id}' found for enrollment")
    if mode is not None and mode not in modes:
        raise errors.CourseModeNotFoundError(f"Specified course mode '{mode}' unavailable for course {course_id}.")


def get_enrollment(username: str, course_id: str) -> dict | None:
    CALLS.append(("get_enrollment", username, course_id))
    enrollment = ENROLLMENTS.get((username, course_id.lower()))
    return dict(enrollment) if enrollment else None


def get_enrollments(username: str, include_inactive: bool = False) -> list[dict]:
    CALLS.append(("get_enrollments", username, include_inactive))
    return [
        dict(enrollment)
        for (owner, _), enrollment in ENROLLMENTS.items()
        if owner == username and (include_inactive or enrollment["is_active"])
    ]


def add_enrollment(  # noqa: PLR0917 (edx-platform's signature)
    username: str,
    course_id: str,
    mode: str | None = None,
    is_active: bool = True,
    enrollment_attributes=None,
    enterprise_uuid=None,
) -> dict:
    CALLS.append(("add_enrollment", username, course_id, mode, is_active))
    _check(course_id, mode)
    key = (username, course_id.lower())
    if key in ENROLLMENTS and ENROLLMENTS[key]["is_active"]:
        raise errors.CourseEnrollmentExistsError(f"{username} is already enrolled in {course_id}", ENROLLMENTS[key])
    ENROLLMENTS[key] = _answer(username, course_id, mode or "audit", is_active)
    return dict(ENROLLMENTS[key])


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
