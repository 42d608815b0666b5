"""
Signal receivers: thin, they hand off to ``api`` after the login transaction commits.

Triggers: Django's ``user_logged_in``; openedx-events' ``SESSION_LOGIN_COMPLETED`` when that package is
installed (an Open edX login sends both, and realizes once); a customer-user link that is created or
re-activated. ``DEFAULT_ENROLLMENTS["REALIZE_ON_LOGIN"] = False`` turns all three off. Nothing raised
here or later reaches the view that logged the learner in: every error is logged with the learner.
"""
from __future__ import annotations

import logging
import threading
import time
from functools import partial

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from default_enrollments import api, tasks
from default_enrollments.conf import CUSTOMER_USER_MODEL_SETTING, app_settings, host_model_label
from default_enrollments.monitoring import log_unexpected_error

logger = logging.getLogger(__name__)

# edx-platform sends SESSION_LOGIN_COMPLETED right after django.contrib.auth.login() in the same thread.
# The Django receiver leaves a note here; the event receiver consumes it instead of realizing a second time.
_recent_django_login = threading.local()
_PAIRING_WINDOW = 10.0  # seconds; a note older than this is not the same login


@receiver(user_logged_in, dispatch_uid="default_enrollments_realize_on_login")
def realize_on_login(sender, request=None, user: AbstractBaseUser | None = None, **kwargs) -> None:
    """Django's login signal: realize after the login transaction commits."""
    try:
        if user is None or not app_settings.REALIZE_ON_LOGIN:
            return
        _recent_django_login.note = (user.pk, time.monotonic())
        schedule_realization(user, trigger="login")
    except Exception:  # noqa: BLE001 (the login must succeed whatever happens here)
        logger.exception("default enrollments not scheduled trigger=login user=%s", getattr(user, "pk", None))


def realize_on_session_login(signal=None, sender=None, user=None, metadata=None, **kwargs) -> None:
    """openedx-events' ``SESSION_LOGIN_COMPLETED`` (``user`` is a ``UserData``): realize unless Django's did."""
    user_id = getattr(user, "id", None)
    try:
        if user_id is None or not app_settings.REALIZE_ON_LOGIN:
            return
        if _consume_django_login_note(user_id):
            return
        schedule_realization(user_id, trigger="session_login")
    except Exception:  # noqa: BLE001
        logger.exception("default enrollments not scheduled trigger=session_login user=%s", user_id)


def _consume_django_login_note(user_id: int) -> bool:
    note = getattr(_recent_django_login, "note", None)
    _recent_django_login.note = None
    return bool(note and note[0] == user_id and time.monotonic() - note[1] < _PAIRING_WINDOW)


@receiver(request_finished, dispatch_uid="default_enrollments_forget_login_note")
def forget_login_note(sender, **kwargs) -> None:
    """A note never outlives the request that wrote it (worker threads serve many requests)."""
    _recent_django_login.note = None


try:  # optional dependency: present in Open edX, not required elsewhere
    from openedx_events.learning.signals import SESSION_LOGIN_COMPLETED
except ImportError:  # pragma: no cover - exercised only without openedx-events
    SESSION_LOGIN_COMPLETED = None
else:
    SESSION_LOGIN_COMPLETED.connect(realize_on_session_login, dispatch_uid="default_enrollments_session_login")


# --- Links created or re-activated --------------------------------------------------------------------

_CUSTOMER_USER_MODEL = host_model_label(CUSTOMER_USER_MODEL_SETTING)


@receiver(pre_save, sender=_CUSTOMER_USER_MODEL, dispatch_uid="default_enrollments_link_before_save")
def remember_membership(sender, instance: Model, raw: bool = False, **kwargs) -> None:
    """Note whether the stored link already made the learner a member, to spot a new membership after save."""
    instance._default_enrollments_was_member = not (raw or instance._state.adding) and api.is_member(instance)


@receiver(post_save, sender=_CUSTOMER_USER_MODEL, dispatch_uid="default_enrollments_link_saved")
def realize_on_link(sender, instance: Model, created: bool = False, raw: bool = False, **kwargs) -> None:
    """A learner just became a member of a customer: realize that customer's intentions for them."""
    try:
        if raw or not app_settings.REALIZE_ON_LOGIN or getattr(instance, "_default_enrollments_was_member", False):
            return
        if not api.is_member(instance):
            return
        schedule_realization(instance.user_id, trigger="link", customer_user=instance)
    except Exception:  # noqa: BLE001
        logger.exception(
            "default enrollments not scheduled trigger=link user=%s customer=%s",
            getattr(instance, "user_id", None), getattr(instance, "enterprise_customer_id", None),
        )


# --- Hand-off ------------------------------------------------------------------------------------------


def schedule_realization(user: AbstractBaseUser | int, *, trigger: str, customer_user: Model | None = None) -> None:
    """
    Realize after the current transaction commits: in a Celery task when ``ASYNC``, else in-process within
    ``LOGIN_TIME_BUDGET`` seconds of catalog time. ``user`` is a user or a user id.
    """
    transaction.on_commit(partial(_realize_now, user, trigger, customer_user), robust=True)


def _realize_now(user: AbstractBaseUser | int, trigger: str, customer_user: Model | None = None) -> None:
    user_id = getattr(user, "pk", user)
    customer = getattr(customer_user, "enterprise_customer_id", None)
    try:
        if app_settings.ASYNC:
            tasks.realize_default_enrollments_task.apply_async(
                args=[user_id],
                kwargs={"enterprise_customer_user_id": getattr(customer_user, "pk", None), "trigger": trigger},
                retry=False,
            )
            return
        deadline = time.monotonic() + float(app_settings.LOGIN_TIME_BUDGET)
        api.realize_learner(user, customer_user=customer_user, deadline=deadline, source=trigger)
    except Exception:  # noqa: BLE001 (logged with the learner; the next login tries again)
        log_unexpected_error(
            logger, "default enrollments failed trigger=%s user=%s customer=%s", trigger, user_id, customer or "*"
        )
