"""
The Open edX backend: enrollments through edx-platform's enrollment API, in the LMS process.

Writes go through ``enrollments.api`` (the LMS's own checks, signals and events run); reads go straight to the
LMS's models, one query each for the runs at hand: the enrollment API can only list every enrollment of a
learner (and serializes each with its course), and it answers modes one course at a time.

edx-platform is imported when the backend is first used, never at import time, so this module loads
(and its settings can be checked) outside an LMS.
"""
from __future__ import annotations

import functools
import inspect
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from default_enrollments.backends.base import EnrollmentBackend
from default_enrollments.data import EnrollmentState
from default_enrollments.exceptions import EnrollmentError

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger(__name__)

ENROLLMENT_API_MODULE = "openedx.core.djangoapps.enrollments.api"
ENROLLMENT_ERRORS_MODULE = "openedx.core.djangoapps.enrollments.errors"
COURSE_MODES_MODULE = "common.djangoapps.course_modes.models"
STUDENT_MODELS_MODULE = "common.djangoapps.student.models"
#: The LMS's default mode when its ``CourseMode`` has none (``settings.COURSE_MODE_DEFAULTS["slug"]``).
FALLBACK_DEFAULT_MODE = "audit"


def _platform_module(name: str) -> ModuleType:
    """One edx-platform module; a clear error when not running inside an LMS."""
    try:
        return import_module(name)
    except ImportError as exc:
        raise EnrollmentError(
            f"The Open edX enrollment backend needs edx-platform ({name}): {exc}. "
            "Outside an Open edX LMS, set DEFAULT_ENROLLMENTS['ENROLLMENT_BACKEND'] to another backend."
        ) from exc


def _load_platform() -> tuple[ModuleType, ModuleType]:
    """edx-platform's enrollment API and its errors."""
    return _platform_module(ENROLLMENT_API_MODULE), _platform_module(ENROLLMENT_ERRORS_MODULE)


@functools.lru_cache(maxsize=8)
def accepts_enterprise_uuid(add_enrollment: Callable) -> bool:
    """
    Whether this release's ``add_enrollment`` takes ``enterprise_uuid`` (older ones do not); read once per function.
    """
    try:
        parameters = inspect.signature(add_enrollment).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "enterprise_uuid" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _course_keys(course_run_keys: Iterable[str]) -> dict[str, tuple[str, CourseKey]]:
    """The asked keys that parse, by lowercased key: (the key as asked, its ``CourseKey``)."""
    parsed = {}
    for key in course_run_keys:
        try:
            parsed[key.lower()] = (key, CourseKey.from_string(key))
        except (InvalidKeyError, AttributeError, TypeError):
            continue
    return parsed


class OpenEdxEnrollmentBackend(EnrollmentBackend):
    """Creates, reactivates and upgrades LMS enrollments with ``enrollments.api`` (the same calls the LMS uses)."""

    def enroll(
        self, user: AbstractBaseUser, course_run_key: str, mode: str, *, enterprise_customer_uuid: UUID | None = None
    ) -> None:
        api, errors = _load_platform()
        username = user.username
        try:
            current = api.get_enrollment(username, course_run_key)
            if current and current.get("mode") == mode and current.get("is_active"):
                return
            if current:
                answer = api.update_enrollment(username, course_run_key, mode=mode, is_active=True)
            else:
                try:
                    answer = self._add(api, username, course_run_key, mode, enterprise_customer_uuid)
                except errors.CourseEnrollmentExistsError:
                    # Created by another request between the read and the add: bring it to the wanted mode.
                    answer = api.update_enrollment(username, course_run_key, mode=mode, is_active=True)
        except errors.CourseEnrollmentError as exc:
            # The LMS's message may name the learner: the error carries ids and the LMS error's class only.
            raise EnrollmentError(_("The LMS refused to enroll user {user_id} in {run} ({mode}): {error}.").format(
                user_id=user.pk, run=course_run_key, mode=mode, error=type(exc).__name__
            )) from None
        if not isinstance(answer, Mapping) or answer.get("mode") != mode or answer.get("is_active") is not True:
            # Nothing of the answer is quoted: it is the LMS's, and names the learner.
            raise EnrollmentError(_(
                "The LMS did not confirm an active {mode} enrollment of user {user_id} in {run}."
            ).format(user_id=user.pk, run=course_run_key, mode=mode))

    @staticmethod
    def _add(api: ModuleType, username: str, course_run_key: str, mode: str, customer: UUID | None) -> object:
        """``add_enrollment``, telling the LMS which customer the enrollment is for where this release can hear it."""
        if customer is not None and accepts_enterprise_uuid(api.add_enrollment):
            return api.add_enrollment(username, course_run_key, mode=mode, is_active=True,
                                      enterprise_uuid=str(customer))
        return api.add_enrollment(username, course_run_key, mode=mode, is_active=True)

    def get_enrollments(self, user: AbstractBaseUser, course_run_keys: Iterable[str]) -> dict[str, EnrollmentState]:
        """
        One query on the LMS's ``CourseEnrollment`` for the runs asked (keys that do not parse have none).

        Keys match case-insensitively: the LMS's MySQL collation ignores case, and rows map back by lowercased key.
        """
        wanted = _course_keys(course_run_keys)
        if not wanted:
            return {}
        course_enrollment = _platform_module(STUDENT_MODELS_MODULE).CourseEnrollment
        rows = course_enrollment.objects.filter(
            user=user, course_id__in=[key for _, key in wanted.values()]
        ).values("course_id", "mode", "is_active")
        states = {}
        for row in rows:
            asked = wanted.get(str(row["course_id"]).lower())
            if asked:
                states[asked[0]] = EnrollmentState(mode=row["mode"] or "", is_active=bool(row["is_active"]))
        return states

    def get_course_modes(self, course_run_keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """
        The modes the LMS's enrollment API accepts today, per run, from one query on ``CourseMode``.

        As the LMS's ``CourseMode.modes_for_course`` counts them: a mode whose upgrade deadline
        (``expiration_datetime``) has passed is left out, and a run left with no mode offers the LMS's default
        mode (``COURSE_MODE_DEFAULTS``), which is what the enrollment API then enrolls in. Keys that do not
        parse are not answered: the catalog's seats decide for them.
        """
        wanted = _course_keys(course_run_keys)
        if not wanted:
            return {}
        course_mode = _platform_module(COURSE_MODES_MODULE).CourseMode
        rows = course_mode.objects.filter(course_id__in=[key for _, key in wanted.values()]).values_list(
            "course_id", "mode_slug", "_expiration_datetime"
        )
        now = timezone.now()  # aware or naive as the LMS stores the deadlines (USE_TZ)
        offered: dict[str, list[str]] = defaultdict(list)
        for course_id, mode, expires in rows:
            if expires is None or expires >= now:
                offered[str(course_id).lower()].append(mode)
        default = getattr(course_mode, "DEFAULT_MODE_SLUG", None) or FALLBACK_DEFAULT_MODE
        return {
            asked: tuple(dict.fromkeys(offered.get(lowered) or [default]))
            for lowered, (asked, _) in wanted.items()
        }
