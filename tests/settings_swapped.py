"""Test settings with the three host models swapped for ``tests.alt_host``'s differently named ones."""
from tests.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.alt_host"]  # noqa: F405

DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL = "alt_host.Organization"
DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_USER_MODEL = "alt_host.OrganizationMembership"
DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL = "alt_host.MembershipCourseEnrollment"
