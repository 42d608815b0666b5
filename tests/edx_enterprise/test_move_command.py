"""
``default_enrollments_move_to_edx_enterprise`` on a database that used the app's own tables before the two model
settings named edx-enterprise's models.

Runs only under ``tests.settings_edx_enterprise_tables``. The old tables are built here with the columns ``0001``
gives them (the suite's tables come from the models, and the app's own are swapped out).
"""
from io import StringIO
from uuid import uuid4

import pytest
from django.apps.registry import Apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, models
from django.utils import timezone

if getattr(settings, "DEFAULT_ENROLLMENTS_INTENTION_MODEL", None) != "enterprise.DefaultEnterpriseEnrollmentIntention":
    pytest.skip("runs under --ds=tests.settings_edx_enterprise_tables", allow_module_level=True)

from enterprise import models as edx_enterprise  # noqa: E402

from default_enrollments.table_move import OLD_INTENTION_TABLE, OLD_REALIZATION_TABLE  # noqa: E402
from tests.factories import EnterpriseCustomerFactory, UserFactory  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

Intention = edx_enterprise.DefaultEnterpriseEnrollmentIntention
Realization = edx_enterprise.DefaultEnterpriseEnrollmentRealization
OLD_APPS = Apps()


class OldIntention(models.Model):
    uuid = models.UUIDField(primary_key=True, default=uuid4)
    created = models.DateTimeField(default=timezone.now)
    modified = models.DateTimeField(default=timezone.now)
    is_removed = models.BooleanField(default=False)
    enterprise_customer_id = models.UUIDField()
    content_key = models.CharField(max_length=255)
    content_type = models.CharField(max_length=16)

    class Meta:
        apps = OLD_APPS
        app_label = "old_default_enrollments"
        db_table = OLD_INTENTION_TABLE

    def __str__(self) -> str:
        return self.content_key


class OldRealization(models.Model):
    id = models.BigAutoField(primary_key=True)
    created = models.DateTimeField(default=timezone.now)
    modified = models.DateTimeField(default=timezone.now)
    intended_enrollment_id = models.UUIDField()
    realized_enrollment_id = models.IntegerField()

    class Meta:
        apps = OLD_APPS
        app_label = "old_default_enrollments"
        db_table = OLD_REALIZATION_TABLE

    def __str__(self) -> str:
        return f"{self.intended_enrollment_id} -> {self.realized_enrollment_id}"


@pytest.fixture
def old_tables(transactional_db):
    with connection.schema_editor() as editor:
        editor.create_model(OldIntention)
        editor.create_model(OldRealization)
    yield
    with connection.schema_editor() as editor:
        editor.delete_model(OldRealization)
        editor.delete_model(OldIntention)


def enterprise_enrollment(customer, course_id: str):
    user = UserFactory()
    # Inserted without post_save, so linking realizes nothing before the move does.
    manager = edx_enterprise.EnterpriseCustomerUser._base_manager
    manager.bulk_create([edx_enterprise.EnterpriseCustomerUser(enterprise_customer=customer, user_id=user.id)])
    link = manager.get(enterprise_customer=customer, user_id=user.id)
    return edx_enterprise.EnterpriseCourseEnrollment.objects.create(enterprise_customer_user=link, course_id=course_id)


def old_realization(intention, enrollment) -> None:
    OldRealization.objects.create(intended_enrollment_id=intention.uuid, realized_enrollment_id=enrollment.pk)


def move(*args) -> str:
    out = StringIO()
    call_command("default_enrollments_move_to_edx_enterprise", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> tuple:
    return (
        sorted(Intention.all_objects.values_list("uuid", "enterprise_customer_id", "content_key", "is_removed")),
        sorted(Realization.objects.values_list("intended_enrollment_id", "realized_enrollment_id")),
        Intention.history.count(),
        Realization.history.count(),
    )


@pytest.fixture
def old_world(old_tables):
    """Two customers' old rows: live and removed intentions, realizations, one key already in edx-enterprise's
    table (in another letter case) and one enrollment edx-enterprise already realized from its own intention."""
    first, second = EnterpriseCustomerFactory(), EnterpriseCustomerFactory()
    demo = OldIntention.objects.create(enterprise_customer_id=first.uuid, content_key="edX+DemoX",
                                       content_type="course")
    removed = OldIntention.objects.create(enterprise_customer_id=first.uuid, content_key="edX+GoneX",
                                          content_type="course", is_removed=True)
    shared = OldIntention.objects.create(enterprise_customer_id=second.uuid, content_key="edX+SharedX",
                                         content_type="course")
    theirs = Intention(enterprise_customer=second, content_key="EDX+SHAREDX")
    Intention.all_objects.bulk_create([theirs])
    enrollments = [enterprise_enrollment(first, "course-v1:edX+DemoX+1T2030") for _ in range(2)]
    shared_enrollment = enterprise_enrollment(second, "course-v1:edX+SharedX+1T2030")
    already = enterprise_enrollment(second, "course-v1:edX+SharedX+2T2030")
    their_other = Intention(enterprise_customer=second, content_key="edX+OtherX")
    Intention.all_objects.bulk_create([their_other])
    Realization.objects.create(intended_enrollment=their_other, realized_enrollment=already)
    for enrollment in enrollments:
        old_realization(demo, enrollment)
    old_realization(shared, shared_enrollment)
    old_realization(shared, already)
    return {"first": first, "second": second, "demo": demo, "removed": removed, "theirs": theirs,
            "their_other": their_other, "enrollments": enrollments, "shared_enrollment": shared_enrollment,
            "already": already}


def test_a_dry_run_changes_nothing(old_world):
    before = snapshot()

    output = move()

    assert snapshot() == before
    assert "dry run" in output
    assert "2 intentions and 3 realizations would be copied" in output


def test_a_run_moves_every_intention_and_realization_and_keeps_what_was_there(old_world):
    before_history = Intention.history.count()

    output = move("--commit")

    w = old_world
    assert sorted(Intention.all_objects.filter(enterprise_customer=w["first"]).values_list(
        "uuid", "content_key", "content_type", "is_removed")) == sorted([
            (w["demo"].uuid, "edX+DemoX", "course", False), (w["removed"].uuid, "edX+GoneX", "course", True)])
    assert Intention.all_objects.filter(enterprise_customer=w["second"]).count() == 2, "the existing key was kept"
    assert sorted(Realization.objects.values_list("intended_enrollment_id", "realized_enrollment_id")) == sorted([
        (w["demo"].uuid, w["enrollments"][0].pk),
        (w["demo"].uuid, w["enrollments"][1].pk),
        (w["theirs"].uuid, w["shared_enrollment"].pk),  # moved onto the row that was already there
        (w["their_other"].uuid, w["already"].pk),  # already realized there: left alone
    ])
    assert Intention.history.count() == before_history + 2
    assert Realization.history.filter(history_change_reason="moved from default_enrollments").count() == 3
    assert f"enterprise enrollment {w['already'].pk}" in output
    assert "2 intentions and 3 realizations copied" in output


def test_a_second_run_changes_nothing(old_world):
    move("--commit")
    after_first = snapshot()

    output = move("--commit")

    assert snapshot() == after_first
    assert "0 intentions and 0 realizations copied" in output
