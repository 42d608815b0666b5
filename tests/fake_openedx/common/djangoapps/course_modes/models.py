"""
A stand-in for ``common.djangoapps.course_modes.models``: ``CourseMode`` rows made from the fake enrollment API's
``COURSE_MODES`` and ``MODE_EXPIRATIONS``, with the real model's field names (the upgrade deadline is the field
``_expiration_datetime``; ``course_id`` holds a ``CourseKey``).
"""
from __future__ import annotations

from common.djangoapps.fake_queries import FakeManager
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.enrollments import api


def _rows() -> list[dict]:
    return [
        {"course_id": CourseKey.from_string(course), "mode_slug": mode,
         "_expiration_datetime": api.MODE_EXPIRATIONS.get((course, mode))}
        for course, modes in api.COURSE_MODES.items()
        for mode in modes
    ]


class CourseMode:
    DEFAULT_MODE_SLUG = api.DEFAULT_MODE_SLUG
    objects = FakeManager("CourseMode", ("course_id", "mode_slug", "_expiration_datetime"), _rows)
