"""Course and course-run keys: which one a string is, decided by syntax alone (no network)."""
from __future__ import annotations

import re

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from default_enrollments.data import ContentType

# A course (not a run) key is ``org+course``, e.g. ``edX+DemoX``; edx-opaque-keys has no parser for it.
COURSE_KEY_RE = re.compile(r"^[\w.%~-]+\+[\w.%~-]+$")


class MalformedKey(ValueError):
    """The string is neither a course key nor a course-run key."""


def content_type_for_key(content_key: str) -> ContentType:
    """``course`` for ``org+course``, ``course_run`` for anything edx-opaque-keys parses as a run."""
    key = (content_key or "").strip()
    if COURSE_KEY_RE.match(key):
        return ContentType.COURSE
    try:
        CourseKey.from_string(key)
    except InvalidKeyError:
        raise MalformedKey(
            f"{content_key!r} is neither a course key (like 'edX+DemoX') "
            f"nor a course run key (like 'course-v1:edX+DemoX+2T2024')."
        ) from None
    return ContentType.COURSE_RUN


def course_key_for_run(course_run_key: str) -> str | None:
    """The ``org+course`` key a run key belongs to, or None when the string is not a run key."""
    try:
        key = CourseKey.from_string(course_run_key)
    except InvalidKeyError:
        return None
    return f"{key.org}+{key.course}"


def stored_content_type(intention) -> str:
    """An intention row's content type, derived from its key when the row has none (edx-enterprise's may be null)."""
    if getattr(intention, "content_type", None):
        return intention.content_type
    try:
        return content_type_for_key(intention.content_key).value
    except MalformedKey:
        return ""
