"""
The edx-enterprise host (``tests.settings_edx_enterprise``) with edx-enterprise's own intention and realization
tables: one set of intentions on the LMS, realized by this app (docs/decisions/0011-*.rst).

Its own test database name, so it never meets the other host's tables.
"""
import os

from tests.settings_edx_enterprise import *  # noqa: F403
from tests.settings_edx_enterprise import DATABASES

DEFAULT_ENROLLMENTS_INTENTION_MODEL = "enterprise.DefaultEnterpriseEnrollmentIntention"
DEFAULT_ENROLLMENTS_REALIZATION_MODEL = "enterprise.DefaultEnterpriseEnrollmentRealization"

if "TEST" in DATABASES["default"]:
    _SUFFIX = os.environ.get("TEST_DB_SUFFIX", "")
    DATABASES["default"]["NAME"] = "default_enrollments_edx_enterprise_tables" + _SUFFIX
    DATABASES["default"]["TEST"]["NAME"] = "test_default_enrollments_edx_enterprise_tables" + _SUFFIX
