"""
One intention per customer and key whatever the letter case: ``edX+DemoX`` and ``EDX+DEMOX`` are one course.

Before the constraint is added, existing case-duplicates are looked for and listed, so ``migrate`` stops with a
message naming them instead of failing on the index midway. Databases that cannot index expressions (MariaDB)
get no constraint (their ``_ci`` collations already refuse case variants), so they are not searched either.
When the intention model is swapped (edx-enterprise's), this migration does nothing: that table is not ours.
"""
import django.db.models.functions.text
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower

import default_enrollments.models


def case_duplicates(intention_model, using: str) -> dict[str, list[str]]:
    """Customer id -> the keys of its rows that differ only in letter case (removed rows included)."""
    groups = (
        intention_model._base_manager.using(using)
        .annotate(lowered_key=Lower("content_key"))
        .values("enterprise_customer_id", "lowered_key")
        .annotate(rows=Count("pk"))
        .filter(rows__gt=1)
        .order_by("enterprise_customer_id", "lowered_key")
    )
    duplicates: dict[str, list[str]] = {}
    for group in groups:
        rows = (
            intention_model._base_manager.using(using)
            .annotate(lowered_key=Lower("content_key"))
            .filter(enterprise_customer_id=group["enterprise_customer_id"], lowered_key=group["lowered_key"])
        )
        duplicates.setdefault(str(group["enterprise_customer_id"]), []).extend(
            f"{row.content_key} ({row.pk}{', removed' if row.is_removed else ''})"
            for row in sorted(rows, key=lambda row: row.content_key)  # the same order on every database
        )
    return duplicates


def refuse_case_duplicates(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if not connection.features.supports_expression_indexes:
        return
    intention_model = apps.get_model("default_enrollments", "DefaultEnterpriseEnrollmentIntention")
    if intention_model._meta.swapped:
        return
    duplicates = case_duplicates(intention_model, connection.alias)
    if not duplicates:
        return
    listing = "\n".join(f"  customer {customer}: {', '.join(keys)}" for customer, keys in duplicates.items())
    raise CommandError(
        "default_enrollments 0002 adds a unique constraint on (customer, lower-cased key), and these "
        "intentions differ only in letter case:\n"
        f"{listing}\n"
        "Keep one row of each group: delete the others for good (removed rows count too), or change their "
        "keys, then run migrate again. Nothing was changed."
    )


class Migration(migrations.Migration):

    dependencies = [
        ("default_enrollments", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(refuse_case_duplicates, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="defaultenterpriseenrollmentintention",
            constraint=default_enrollments.models.CaseInsensitiveUniqueConstraint(
                models.F("enterprise_customer"),
                django.db.models.functions.text.Lower("content_key"),
                name="default_enrollments_unique_intention_ci",
                violation_error_message="An intention for this key, in some letter case, already exists "
                "for this customer.",
            ),
        ),
    ]
