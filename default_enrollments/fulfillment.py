"""
What an enterprise enrollment written by this app carries besides itself: its source and the subsidy that pays.

The writer calls these inside its transaction, for a whole batch at once.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID


def new_enterprise_enrollment_fields() -> dict[str, object]:
    """Extra field values for an enterprise enrollment this app creates."""
    return {}


def complete_enterprise_enrollments(written: Mapping[Any, UUID | None]) -> None:
    """
    For the enterprise enrollments (by pk) this realization enrolled or upgraded, with the license that pays
    for each (or None): record what the host keeps beside them, in the caller's transaction.
    """
    return None
