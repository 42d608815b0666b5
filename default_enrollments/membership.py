"""
The membership rule: a learner belongs to a customer through an active, linked link to an active customer.

Written once, here, and asked by every path that enrolls or reports on a learner: the login and link
handlers, the API, the task, the backfill, and the writer's re-check under the learner's lock.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model, QuerySet

from default_enrollments.models import get_enterprise_customer_user_model

MEMBERSHIP = {"active": True, "linked": True, "enterprise_customer__active": True}


def memberships() -> QuerySet:
    """The links through which a learner belongs to a customer."""
    return get_enterprise_customer_user_model()._default_manager.filter(**MEMBERSHIP)


def is_member(customer_user: Model) -> bool:
    """
    Whether this link makes its learner a member now, as the database says (the row, and its customer).

    Read from the database rather than the instance, so a caller holding the learner's lock, or a
    signal receiver seeing a row saved in this transaction, judges what is stored.
    """
    return customer_user.pk is not None and memberships().filter(pk=customer_user.pk).exists()


def members(customer_user_pks: Iterable) -> set:
    """Of these links (by pk), those that make their learner a member now: ``is_member`` for many, in one query."""
    pks = list(customer_user_pks)
    if not pks:
        return set()
    return set(memberships().filter(pk__in=pks).values_list("pk", flat=True))
