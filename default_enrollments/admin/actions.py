"""
"Enroll linked learners now": queue, for a customer, the backfill the ``realize_default_enrollments`` command runs.

Compliance courses cannot wait for learners who log in once a quarter. The run is a ``BackfillRun`` row (who
started it, its progress) and a Celery task that executes it (``tasks.realize_default_enrollments_for_customer``,
queued after the row is committed). At most one run per customer is active: the row's unique ``running_for``
refuses a second one, so a double click, or two operators, queue nothing more.
"""
from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import admin, messages
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from default_enrollments.models import BackfillRun

#: A run that recorded no progress for this long is taken as dead (its worker was killed), so a new one may start.
STALE_AFTER = timedelta(hours=1)


def start_backfill_run(enterprise_customer_uuid: UUID | str, started_by_id: int | None) -> BackfillRun | None:
    """
    Record and queue a run for this customer; None when one is already queued or running for it.

    The task is queued only once the row is committed, so the worker always finds it.
    """
    from default_enrollments.tasks import realize_default_enrollments_for_customer  # noqa: PLC0415 (Celery at use)

    customer = UUID(str(enterprise_customer_uuid))
    BackfillRun.objects.filter(running_for=customer, modified__lt=timezone.now() - STALE_AFTER).update(
        running_for=None, status=BackfillRun.Status.FAILED, finished_at=timezone.now()
    )
    try:
        with transaction.atomic():
            run = BackfillRun.objects.create(
                enterprise_customer_uuid=customer, running_for=customer, started_by_id=started_by_id
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: realize_default_enrollments_for_customer.delay(run.pk))
    return run


def enroll_now(request: HttpRequest, customer_uuids) -> None:
    """Start a run for each customer and tell the operator what was queued and what was already running."""
    queued, busy = [], []
    for customer in customer_uuids:
        (queued if start_backfill_run(customer, request.user.pk) else busy).append(str(customer))
    if queued:
        messages.success(
            request,
            _("Enrolling the linked learners of %(count)d customer(s) now: %(customers)s. Progress is on the "
              "customer overview.") % {"count": len(queued), "customers": ", ".join(queued)},
        )
    if busy:
        messages.warning(
            request,
            _("A run is already under way for %(customers)s: nothing more was queued.")
            % {"customers": ", ".join(busy)},
        )


@admin.action(description=gettext_lazy("Enroll linked learners now (their customers' intentions)"),
              permissions=["change"])
def enroll_linked_learners_now(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
    """The admin action: one run per customer of the selected intentions, whatever intentions were selected."""
    customers = sorted(set(queryset.values_list("enterprise_customer_id", flat=True)), key=str)
    enroll_now(request, customers)
