"""
Translatable names and help texts: model and field labels went through gettext. No schema change (labels,
help texts and choice labels are not in the database); Django records them in the migration state.
"""
import django.db.models.deletion
from django.db import migrations, models

from default_enrollments.conf import (
    COURSE_ENROLLMENT_MODEL_SETTING,
    CUSTOMER_MODEL_SETTING,
    host_model_label,
    intentions_related_name,
)

# Host models are swappable, as in 0001; a host that does not set the settings gets the bundled models.
CUSTOMER_MODEL = host_model_label(CUSTOMER_MODEL_SETTING)
COURSE_ENROLLMENT_MODEL = host_model_label(COURSE_ENROLLMENT_MODEL_SETTING)


def _content_fields(model_name):
    """The key and type fields, alike on the intention and on its history model."""
    return [
        migrations.AlterField(
            model_name=model_name,
            name='content_key',
            field=models.CharField(help_text='A course key (edX+DemoX: its advertised run) or a course run key (course-v1:edX+DemoX+2T2024).', max_length=255, verbose_name='content key'),
        ),
        migrations.AlterField(
            model_name=model_name,
            name='content_type',
            field=models.CharField(choices=[('course', 'Course'), ('course_run', 'Course run')], editable=False, help_text="Derived from the key's syntax on save.", max_length=16, verbose_name='content type'),
        ),
    ]


class Migration(migrations.Migration):

    dependencies = [
        ('default_enrollments', '0004_backfill_run'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='defaultenterpriseenrollmentintention',
            options={'ordering': ['enterprise_customer_id', 'content_key', 'uuid'], 'verbose_name': 'default enrollment intention', 'verbose_name_plural': 'default enrollment intentions'},
        ),
        migrations.AlterModelOptions(
            name='defaultenterpriseenrollmentrealization',
            options={'ordering': ['created', 'id'], 'verbose_name': 'default enrollment realization', 'verbose_name_plural': 'default enrollment realizations'},
        ),
        *_content_fields('defaultenterpriseenrollmentintention'),
        migrations.AlterField(
            model_name='defaultenterpriseenrollmentintention',
            name='enterprise_customer',
            field=models.ForeignKey(help_text='The customer whose learners are enrolled.', on_delete=django.db.models.deletion.CASCADE, related_name=intentions_related_name(), to=CUSTOMER_MODEL, verbose_name='enterprise customer'),
        ),
        migrations.AlterField(
            model_name='defaultenterpriseenrollmentrealization',
            name='intended_enrollment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='realizations', to='default_enrollments.defaultenterpriseenrollmentintention', verbose_name='intended enrollment'),
        ),
        migrations.AlterField(
            model_name='defaultenterpriseenrollmentrealization',
            name='realized_enrollment',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='default_enrollment_realization', to=COURSE_ENROLLMENT_MODEL, verbose_name='realized enrollment'),
        ),
        *_content_fields('historicaldefaultenterpriseenrollmentintention'),
        migrations.AlterField(
            model_name='historicaldefaultenterpriseenrollmentintention',
            name='enterprise_customer',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The customer whose learners are enrolled.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=CUSTOMER_MODEL, verbose_name='enterprise customer'),
        ),
        migrations.AlterField(
            model_name='historicaldefaultenterpriseenrollmentrealization',
            name='intended_enrollment',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='default_enrollments.defaultenterpriseenrollmentintention', verbose_name='intended enrollment'),
        ),
        migrations.AlterField(
            model_name='historicaldefaultenterpriseenrollmentrealization',
            name='realized_enrollment',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=COURSE_ENROLLMENT_MODEL, verbose_name='realized enrollment'),
        ),
    ]
