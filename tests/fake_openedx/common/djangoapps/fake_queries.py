"""
Just enough of a Django queryset over in-memory rows for the stand-in models: ``filter`` with exact and ``__in``
lookups, then ``values`` or ``values_list``. Evaluating one counts as one read of the LMS (``api.READS``).

Course keys compare case-insensitively, as on the LMS's MySQL, whose collation ignores case. A field or lookup
the real model does not have is an error, as it would be there.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from django.core.exceptions import FieldError
from openedx.core.djangoapps.enrollments import api


def _same(field: str, row_value, wanted) -> bool:
    if field == "user":
        return row_value == getattr(wanted, "username", wanted)
    if field == "course_id":
        return str(row_value).lower() == str(wanted).lower()
    return row_value == wanted


class FakeQuerySet:
    def __init__(self, name: str, fields: tuple[str, ...], rows: Callable[[], list[dict]],
                 lookups: tuple = (), shape: Callable[[dict], object] | None = None) -> None:
        self.name, self.fields, self.rows, self.lookups, self.shape = name, fields, rows, lookups, shape

    def filter(self, **lookups) -> FakeQuerySet:
        parsed = []
        for lookup, wanted in lookups.items():
            field, _, kind = lookup.partition("__")
            if field not in self.fields or kind not in ("", "in"):
                raise FieldError(f"{self.name} has no lookup {lookup!r}")
            parsed.append((field, list(wanted) if kind == "in" else [wanted]))
        return FakeQuerySet(self.name, self.fields, self.rows, self.lookups + tuple(parsed), self.shape)

    def _checked(self, fields: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [field for field in fields if field not in self.fields]
        if unknown:
            raise FieldError(f"{self.name} has no field {unknown[0]!r}")
        return fields

    def values(self, *fields: str) -> FakeQuerySet:
        fields = self._checked(fields) or self.fields
        return FakeQuerySet(self.name, self.fields, self.rows, self.lookups, lambda row: {f: row[f] for f in fields})

    def values_list(self, *fields: str, flat: bool = False) -> FakeQuerySet:
        fields = self._checked(fields) or self.fields
        if flat:
            return FakeQuerySet(self.name, self.fields, self.rows, self.lookups, lambda row: row[fields[0]])
        return FakeQuerySet(self.name, self.fields, self.rows, self.lookups,
                            lambda row: tuple(row[f] for f in fields))

    def __iter__(self) -> Iterator:
        found = [
            row for row in self.rows()
            if all(any(_same(field, row[field], value) for value in wanted) for field, wanted in self.lookups)
        ]
        api.CALLS.append((f"{self.name}.objects.filter", len(found)))
        api.READS.append((self.name, len(found)))
        return iter([self.shape(row) if self.shape else row for row in found])


class FakeManager:
    def __init__(self, name: str, fields: tuple[str, ...], rows: Callable[[], list[dict]]) -> None:
        self.queryset = FakeQuerySet(name, fields, rows)

    def filter(self, **lookups) -> FakeQuerySet:
        return self.queryset.filter(**lookups)

    def all(self) -> FakeQuerySet:
        return self.queryset
