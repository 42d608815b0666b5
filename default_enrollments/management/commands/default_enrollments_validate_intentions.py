"""
``validate_default_enrollment_intentions`` under a name of its own.

edx-enterprise ships a command with the same name, and on an LMS the app listed first in
``INSTALLED_APPS`` (edx-enterprise) wins; this name always reaches ours (ADR 0003).
"""
from default_enrollments.management.commands.validate_default_enrollment_intentions import Command  # noqa: F401
