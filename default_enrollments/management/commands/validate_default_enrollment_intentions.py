"""
``validate_default_enrollment_intentions``: the documented alias of ``default_enrollments_validate_intentions``.

edx-enterprise ships a command with this name, and on an LMS the app listed first in ``INSTALLED_APPS``
(edx-enterprise) wins; ``default_enrollments_validate_intentions`` always reaches ours (ADR 0003).
"""
from default_enrollments.management.commands.default_enrollments_validate_intentions import Command  # noqa: F401
