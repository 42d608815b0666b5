"""
Translatable names and help texts: model and field labels went through gettext. No schema change (labels,
help texts and choice labels are not in the database); Django records them in the migration state.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('default_enrollments', '0002_case_insensitive_unique_key'),
        migrations.swappable_dependency(settings.DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL),
        migrations.swappable_dependency(settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL),
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
        migrations.AlterField(
            model_name='defaultenterpriseenrollmentintention',
            name='content_key',
            field=models.CharField(help_text='A course key (edX+DemoX: its advertised run) or a course run key (course-v1:edX+DemoX+2T2024).', max_length=255, verbose_name='content key'),
        ),
        migrations.AlterField(
            model_name='defaultenterpriseenrollmentintention',
            name='content_type',
            field=models.CharField(choices=[('course', 'Course'), ('course_run', 'Course run')], editable=False, help_text="Derived from the key's syntax on save.", max_length=16, verbose_name='content type'),
        ),
        migrations.AlterField(
            model_name='defaultenterpriseenrollmentintention',
            name='enterprise_customer',
            field=models.ForeignKey(help_text='The customer whose learners are enrolled.', on_delete=django.db.models.deletion.CASCADE, related_name='default_enrollment_intentions', to=settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL, verbose_name='enterprise customer'),
        ),
        migrations.AlterField(
            model_name='defaultenterpriseenrollmentrealization',
            name='intended_enrollment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='realizations', to='default_enrollments.defaultenterpriseenrollmentintention', verbose_name='intended enrollment'),
        ),
        migrations.AlterField(
            model_name='defaultenterpriseenrollmentrealization',
            name='realized_enrollment',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='default_enrollment_realization', to=settings.DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL, verbose_name='realized enrollment'),
        ),
        migrations.AlterField(
            model_name='historicaldefaultenterpriseenrollmentintention',
            name='content_key',
            field=models.CharField(help_text='A course key (edX+DemoX: its advertised run) or a course run key (course-v1:edX+DemoX+2T2024).', max_length=255, verbose_name='content key'),
        ),
        migrations.AlterField(
            model_name='historicaldefaultenterpriseenrollmentintention',
            name='content_type',
            field=models.CharField(choices=[('course', 'Course'), ('course_run', 'Course run')], editable=False, help_text="Derived from the key's syntax on save.", max_length=16, verbose_name='content type'),
        ),
        migrations.AlterField(
            model_name='historicaldefaultenterpriseenrollmentintention',
            name='enterprise_customer',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The customer whose learners are enrolled.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.DEFAULT_ENROLLMENTS_ENTERPRISE_CUSTOMER_MODEL, verbose_name='enterprise customer'),
        ),
        migrations.AlterField(
            model_name='historicaldefaultenterpriseenrollmentrealization',
            name='intended_enrollment',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='default_enrollments.defaultenterpriseenrollmentintention', verbose_name='intended enrollment'),
        ),
        migrations.AlterField(
            model_name='historicaldefaultenterpriseenrollmentrealization',
            name='realized_enrollment',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.DEFAULT_ENROLLMENTS_ENTERPRISE_COURSE_ENROLLMENT_MODEL, verbose_name='realized enrollment'),
        ),
    ]
