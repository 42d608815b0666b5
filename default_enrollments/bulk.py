"""
Bulk inserts that keep what a row-by-row ``save()`` would have left behind: primary keys on the objects,
simple-history rows, and the ``post_save`` signal for receivers of the host.

The writer's batches go through here, so a first login or a backfill chunk costs a few statements per
table instead of a few per row.
"""
from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models
from django.db.models.signals import post_save
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import bulk_create_with_history, bulk_update_with_history, get_history_manager_for_model


def insert(model: type[models.Model], objs: Sequence[models.Model], *, key_fields: Sequence[str]) -> list[models.Model]:
    """
    Insert ``objs`` in one statement per database batch, with their history rows when the model has history.

    Every object gets its primary key. A database that returns no keys from a bulk insert (MySQL) gets them
    read back in one query by ``key_fields``, the attribute names of a unique constraint of the model.
    """
    if not objs:
        return []
    history = _history_manager(model)
    if connection.features.can_return_rows_from_bulk_insert:
        if history is not None:
            return bulk_create_with_history(objs, model)
        return model._default_manager.bulk_create(objs)
    model._default_manager.bulk_create(objs)
    keys = {field: sorted({getattr(obj, field) for obj in objs}) for field in key_fields}
    rows = model._base_manager.filter(**{f"{field}__in": values for field, values in keys.items()})
    written = {tuple(row[1:]): row[0] for row in rows.values_list("pk", *key_fields)}
    for obj in objs:
        obj.pk = written[tuple(getattr(obj, field) for field in key_fields)]
    if history is not None:
        history.bulk_history_create(objs)
    return list(objs)


def update(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str], *, now) -> None:
    """
    One bulk update of ``fields`` (and of ``modified``, set to ``now``, where the model has it), with one history
    insert where the model keeps history, as a ``save()`` of each row would have left.
    """
    if not objs or not fields:
        return
    fields = list(fields)
    if any(field.name == "modified" for field in model._meta.concrete_fields):
        fields.append("modified")
        for obj in objs:
            obj.modified = now
    if _history_manager(model) is not None:
        bulk_update_with_history(objs, model, fields, manager=model._base_manager)
    else:
        model._base_manager.bulk_update(objs, fields)


def send_post_save(
    model: type[models.Model], objs: Sequence[models.Model], *, created: bool = True,
    update_fields: Sequence[str] | None = None,
) -> None:
    """
    What ``save()`` would have told the host's receivers of each row written in bulk: new rows
    (``created=True``) or rows updated in ``update_fields``. The history receiver is told to stand aside:
    ``insert`` and ``update`` wrote those rows in bulk already.
    """
    if not objs or not post_save.has_listeners(model):
        return
    fields = frozenset(update_fields) if update_fields is not None else None
    for obj in objs:
        obj.skip_history_when_saving = True  # simple-history's receiver skips an instance carrying this mark
        try:
            post_save.send(sender=model, instance=obj, created=created, update_fields=fields, raw=False,
                           using=obj._state.db or "default")
        finally:
            del obj.skip_history_when_saving


def _history_manager(model: type[models.Model]):
    try:
        return get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return None
