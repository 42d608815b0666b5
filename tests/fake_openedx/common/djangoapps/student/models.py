"""
A stand-in for ``common.djangoapps.student.models``: ``CourseEnrollment`` rows made from the fake enrollment API's
``ENROLLMENTS`` (one state for both), with the real model's field names (``course_id`` holds a ``CourseKey``).
"""
from __future__ import annotations

from common.djangoapps.fake_queries import FakeManager
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.enrollments import api


def _rows() -> list[dict]:
    return [
        {"user": username, "course_id": CourseKey.from_string(enrollment["course_details"]["course_id"]),
         "mode": enrollment["mode"], "is_active": enrollment["is_active"]}
        for (username, _), enrollment in api.ENROLLMENTS.items()
    ]


class CourseEnrollment:
    objects = FakeManager("CourseEnrollment", ("user", "course_id", "mode", "is_active"),
                          _rows)
