"""The migrations on real data: 0002 refuses to start while case-duplicate keys exist, and says which."""
from __future__ import annotations

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import EnterpriseCustomerFactory

APP = "default_enrollments"
BEFORE = [(APP, "0001_initial")]
AFTER = [(APP, "0002_case_insensitive_unique_key")]
CONSTRAINT = "default_enrollments_unique_intention_ci"

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _intention_model_at(targets):
    """The intention model as the migrations left it at ``targets``, without later constraints."""
    return MigrationExecutor(connection).loader.project_state(targets).apps.get_model(
        APP, "DefaultEnterpriseEnrollmentIntention"
    )


def _constraint_names() -> set[str]:
    with connection.cursor() as cursor:
        return set(
            connection.introspection.get_constraints(cursor, "default_enrollments_defaultenterpriseenrollmentintention")
        )


@pytest.fixture
def at_0001():
    """The database at 0001; migrated forward again afterwards, whatever the test left behind."""
    if not connection.features.supports_expression_indexes:  # asks the server, so inside the test
        pytest.skip("no expression indexes (MariaDB): its case-insensitive collation refuses case variants at 0001")
    _migrate(BEFORE)
    yield _intention_model_at(BEFORE)
    _intention_model_at(BEFORE)._base_manager.all().delete()
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes(APP))


def _add(intention, customer, content_key: str, **fields):
    return intention._base_manager.create(
        enterprise_customer_id=customer.pk, content_key=content_key, content_type="course", **fields
    )


def test_0002_stops_with_a_list_of_case_duplicates_and_changes_nothing(at_0001):
    intention = at_0001
    customer, other = EnterpriseCustomerFactory(), EnterpriseCustomerFactory()
    first = _add(intention, customer, "edX+DemoX")
    second = _add(intention, customer, "EDX+DEMOX", is_removed=True)
    _add(intention, customer, "edX+Other")
    _add(intention, other, "edx+demox")

    with pytest.raises(CommandError) as excinfo:
        _migrate(AFTER)

    message = str(excinfo.value)
    assert f"customer {customer.pk}: EDX+DEMOX ({second.pk}, removed), edX+DemoX ({first.pk})" in message
    assert "edX+Other" not in message
    assert str(other.pk) not in message  # one row per customer is no duplicate
    assert "run migrate again" in message
    assert CONSTRAINT not in _constraint_names()
    assert intention._base_manager.count() == 4


def test_0002_applies_once_the_duplicates_are_gone_and_reverses(at_0001):
    intention = at_0001
    customer = EnterpriseCustomerFactory()
    _add(intention, customer, "edX+DemoX")
    _add(intention, customer, "EDX+DEMOX")
    with pytest.raises(CommandError):
        _migrate(AFTER)

    intention._base_manager.filter(content_key="EDX+DEMOX").delete()
    _migrate(AFTER)
    assert CONSTRAINT in _constraint_names()

    _migrate(BEFORE)
    assert CONSTRAINT not in _constraint_names()
