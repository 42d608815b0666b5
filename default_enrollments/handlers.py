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

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished, request_started
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


class _RequestState(threading.local):
    """
    What this thread's current request has scheduled and spent. An SSO login both creates the link and logs
    the learner in: its triggers share one ``LOGIN_TIME_BUDGET`` and realize each customer once.
    """

    def __init__(self) -> None:
        self.reset(in_request=False)

    def reset(self, *, in_request: bool) -> None:
        self.in_request = in_request
        self.deadline: float | None = None
        self.realized: dict[int, set] = {}  # user id -> customers realized in-process during this request
        self.pending: dict[int, _HandOff] = {}  # user id -> the hand-off waiting for the transaction to commit


_request = _RequestState()


@receiver(request_started, dispatch_uid="default_enrollments_request_started")
def start_request(sender, **kwargs) -> None:
    """A new request starts with its whole time budget (worker threads serve many requests)."""
    _request.reset(in_request=True)


@receiver(request_finished, dispatch_uid="default_enrollments_request_finished")
def finish_request(sender, **kwargs) -> None:
    _request.reset(in_request=False)


class _HandOff:
    """
    The triggers of one learner scheduled on one transaction's commit, realized by one call: every
    customer when any trigger was a login, else the customers of the links that triggered.
    """

    def __init__(self, user: AbstractBaseUser | int) -> None:
        self.user = user
        self.user_id = getattr(user, "pk", user)
        self.trigger = ""  # the source the outcomes are recorded under: the first login trigger, else the first
        self.customer_users: list[Model] = []
        self.everything = False

    def add(self, trigger: str, customer_user: Model | None) -> None:
        if not self.trigger or (customer_user is None and not self.everything):
            self.trigger = trigger
        if customer_user is None:
            self.everything = True
        elif all(cu.pk != customer_user.pk for cu in self.customer_users):
            self.customer_users.append(customer_user)

    def is_queued(self) -> bool:
        """
        Still waiting for its commit. A rolled-back transaction or savepoint drops the callbacks registered in
        it, and this with them; a savepoint still open around it is open around the joining trigger too (they
        nest), so the two are kept or dropped together.
        """
        return any(entry[1] is self for entry in transaction.get_connection().run_on_commit)

    def __call__(self) -> None:
        if _request.pending.get(self.user_id) is self:
            del _request.pending[self.user_id]
        for customer_user in [None] if self.everything else self.customer_users:
            _realize_now(self.user, self.trigger, customer_user)


def schedule_realization(user: AbstractBaseUser | int, *, trigger: str, customer_user: Model | None = None) -> None:
    """
    Realize after the current transaction commits: in a Celery task when ``ASYNC``, else in-process within
    ``LOGIN_TIME_BUDGET`` seconds of catalog time. ``user`` is a user or a user id. Triggers of one learner
    in one transaction become one hand-off, and those of one request share one deadline.
    """
    user_id = getattr(user, "pk", user)
    handoff = _request.pending.get(user_id)
    if handoff is None or not handoff.is_queued():
        handoff = _request.pending[user_id] = _HandOff(user)
        handoff.add(trigger, customer_user)
        transaction.on_commit(handoff, robust=True)
        return
    handoff.add(trigger, customer_user)


def _deadline() -> float:
    """The request's one deadline, set by its first in-process realization; outside a request, a fresh one."""
    budget = float(app_settings.LOGIN_TIME_BUDGET)
    if not _request.in_request:
        return time.monotonic() + budget
    if _request.deadline is None:
        _request.deadline = time.monotonic() + budget
    return _request.deadline


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
        realized = _request.realized.setdefault(user_id, set()) if _request.in_request else set()
        if customer is not None and customer in realized:
            return  # realized by another trigger of this request
        outcomes = api.realize_learner(
            user, customer_user=customer_user, deadline=_deadline(), source=trigger, skip_customers=realized
        )
        realized.update(outcome.enterprise_customer_uuid for outcome in outcomes)
        if customer is not None:
            realized.add(customer)
    except Exception:  # noqa: BLE001 (logged with the learner; the next login tries again)
        log_unexpected_error(
            logger, "default enrollments failed trigger=%s user=%s customer=%s", trigger, user_id, customer or "*"
        )
