"""
Production hook (settings type ``production``): runs after the operator's YAML has been loaded.

It re-applies the ``common`` defaults so that a YAML file that replaces ``DEFAULT_ENROLLMENTS`` with a partial dict
still gets the Open edX values for the keys it leaves out.
"""
from __future__ import annotations

from typing import Any

from default_enrollments.settings import common


def plugin_settings(settings: Any) -> None:
    """Same filling as ``common``: the operator's values always win."""
    common.plugin_settings(settings)
