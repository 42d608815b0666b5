"""
"Enroll linked learners now" and the customer overview on edx-enterprise's own models: the reference host's tests,
collected here so ``make test-edx-enterprise`` runs them against that host (with a real Celery worker).
"""
import pytest
from django.conf import settings

if settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL != "enterprise.EnterpriseCustomer":
    pytest.skip("runs under --ds=tests.settings_edx_enterprise (edx-enterprise's models)", allow_module_level=True)

from tests.test_celery import worker  # noqa: E402, F401 (the real worker fixture)
from tests.test_enroll_now import (  # noqa: E402, F401 (collected as this host's tests)
    customer_world,
    test_at_most_one_run_per_customer_is_active,
    test_the_action_enrolls_every_linked_learner_once_and_a_second_click_changes_nothing,
)
from tests.test_overview import (  # noqa: E402, F401
    staff_client,
    test_chart_counts_each_of_the_last_30_days_and_nothing_older,
    test_overview_of_a_large_customer_is_read_in_a_bounded_number_of_queries,
)

pytestmark = pytest.mark.django_db  # the overview tests' module mark (the enroll-now tests carry their own)
