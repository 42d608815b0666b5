"""A customer's opt-out from default enrollments: one row per customer UUID, no foreign key to the host's model."""
import django.utils.timezone
import model_utils.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("default_enrollments", "0002_case_insensitive_unique_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerOptOut",
            fields=[
                (
                    "id",
                    models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                (
                    "created",
                    model_utils.fields.AutoCreatedField(
                        default=django.utils.timezone.now, editable=False, verbose_name="created"
                    ),
                ),
                (
                    "modified",
                    model_utils.fields.AutoLastModifiedField(
                        default=django.utils.timezone.now, editable=False, verbose_name="modified"
                    ),
                ),
                (
                    "enterprise_customer_uuid",
                    models.UUIDField(
                        help_text="No default enrollment is realized for this customer's learners while this "
                        "opt-out exists.",
                        unique=True,
                        verbose_name="enterprise customer UUID",
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        blank=True,
                        help_text="Why the customer opted out, for the next operator who reads this.",
                        max_length=255,
                        verbose_name="reason",
                    ),
                ),
            ],
            options={
                "verbose_name": "customer opt-out",
                "verbose_name_plural": "customer opt-outs",
                "ordering": ["-created", "id"],
            },
        ),
    ]
