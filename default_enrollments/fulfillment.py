"""
What an enterprise enrollment written by this app carries besides itself: its source and the license that pays.

The writer calls these inside its transaction, for a whole batch at once. Both work on whichever host models are
configured: the enrollment's ``source`` when the host's enterprise enrollment has one (edx-enterprise's does), the
license fulfillment when the host keeps one (``models.get_licensed_enrollment_model``). See
docs/decisions/0018-enrollment-source-and-license-fulfillment.rst.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial, reduce
from operator import or_
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Model, Q
from django.db.models.signals import post_migrate
from django.utils import timezone

from default_enrollments import bulk
from default_enrollments.models import (
    get_enrollment_source_model,
    get_enterprise_course_enrollment_model,
    get_licensed_enrollment_model,
)

logger = logging.getLogger("default_enrollments.realization")

#: The source of the enterprise enrollments the app creates or realizes: edx-enterprise's own realization of
#: default intentions (its bulk enrollment) uses this one, so reports count both alike. The name is the one
#: edx-enterprise's migration gives the row, used only where the row is missing and created here.
SOURCE_SLUG = "customer_admin"
SOURCE_NAME = "Customer Admin Enrollment"

# The source row's pk per source model, once known to be committed; and the models whose row this process
# inserted in a transaction that has not committed yet (a rolled-back insert must never be remembered).
_source_pks: dict[str, Any] = {}
_inserted_uncommitted: set[str] = set()


def new_enterprise_enrollment_fields() -> dict[str, object]:
    """
    Extra field values for a new enterprise enrollment this app creates: its source, or {} when the host's model
    has none. One query the first time in a process (the row is created if missing), none afterwards.
    """
    source_model = get_enrollment_source_model()
    if source_model is None:
        return {}
    source_field = get_enterprise_course_enrollment_model()._meta.get_field("source")
    return {source_field.attname: _source_pk(source_model)}


def complete_enterprise_enrollments(written: Mapping[Any, UUID | None]) -> None:
    """
    For the enterprise enrollments (by pk) this realization enrolled or upgraded, with the license that pays
    for each (or None), inside the caller's transaction: give a source to those without one, and record each
    license: a new fulfillment row, or the enrollment's existing one (one-to-one; e.g. its license was revoked)
    moved to the new license and reactivated. A constant number of statements whatever ``len(written)``.
    """
    if not written:
        return
    licenses = {pk: UUID(str(license_uuid)) for pk, license_uuid in written.items() if license_uuid is not None}
    reactivated: set = set()
    if licenses:
        licensed_model = get_licensed_enrollment_model()
        if licensed_model is None:
            logger.warning("license not recorded: the host keeps no license fulfillment enterprise_enrollments=%s",
                           sorted(licenses))
        else:
            reactivated = _record_licenses(licensed_model, licenses)
    _complete_enrollment_rows(list(written), reactivated)


def _record_licenses(licensed_model: type[Model], licenses: dict[Any, UUID]) -> set:
    """Insert or update the fulfillment of each enrollment; the pks whose revoked fulfillment was reactivated."""
    manager = licensed_model._base_manager
    existing = {row.enterprise_course_enrollment_id: row
                for row in manager.filter(enterprise_course_enrollment_id__in=list(licenses))}
    created = [licensed_model(enterprise_course_enrollment_id=pk, license_uuid=license_uuid)
               for pk, license_uuid in licenses.items() if pk not in existing]
    now = timezone.now()
    changed, reactivated = [], set()
    for pk, row in existing.items():
        if row.license_uuid == licenses[pk] and not row.is_revoked:
            continue
        if row.is_revoked:
            reactivated.add(pk)
        row.license_uuid, row.is_revoked = licenses[pk], False
        changed.append(row)
    bulk.insert(licensed_model, created, key_fields=("enterprise_course_enrollment_id",))
    bulk.update(licensed_model, changed, ["license_uuid", "is_revoked"], now=now)
    return reactivated


def _complete_enrollment_rows(pks: list, reactivated: set) -> None:
    """
    Give the source to the enrollments that have none, and take an enrollment whose license is reactivated out of
    "saved for later", where edx-enterprise's revocation put it (as its own reactivation does).
    """
    model = get_enterprise_course_enrollment_model()
    source_model = get_enrollment_source_model()
    wanted = []
    if source_model is not None:
        wanted.append(Q(pk__in=pks, source__isnull=True))
    if reactivated:
        wanted.append(Q(pk__in=sorted(reactivated), saved_for_later=True))
    if not wanted:
        return
    rows = list(model._base_manager.filter(reduce(or_, wanted)))
    fields = []
    if source_model is not None:
        fields.append("source")
        source_pk = _source_pk(source_model)
        for row in rows:
            if row.source_id is None:
                row.source_id = source_pk
    if reactivated:
        fields.append("saved_for_later")
        for row in rows:
            if row.pk in reactivated:
                row.saved_for_later = False
    bulk.update(model, rows, fields, now=timezone.now())


def _source_pk(source_model: type[Model]):
    """
    The pk of the source row, remembered per process once committed. A host whose row is missing (deleted, or a
    database built without data migrations) gets it created here, so no realized enrollment is left without one.
    """
    label = source_model._meta.label_lower
    pk = _source_pks.get(label)
    if pk is not None:
        return pk
    row, created = source_model._default_manager.get_or_create(slug=SOURCE_SLUG, defaults={"name": SOURCE_NAME})
    if created:
        _inserted_uncommitted.add(label)
        transaction.on_commit(partial(_remember, label, row.pk))
    elif label not in _inserted_uncommitted:
        _source_pks[label] = row.pk
    return row.pk


def _remember(label: str, pk) -> None:
    _inserted_uncommitted.discard(label)
    _source_pks[label] = pk


def forget_sources(**kwargs: Any) -> None:
    """Forget the remembered source rows: a migration (or a test database flush) may have removed them."""
    _source_pks.clear()
    _inserted_uncommitted.clear()


post_migrate.connect(forget_sources, dispatch_uid="default_enrollments_forget_sources")
