"""
The reference LMS's own bookkeeping, as edx-enterprise does it on a real LMS: when a learner
leaves a course, their enterprise enrollment is marked ``unenrolled``.
"""
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.models import get_enterprise_course_enrollment_model


@receiver(post_save, sender=CourseEnrollment, dispatch_uid="reference_host_mark_unenrolled")
def mark_enterprise_enrollment_unenrolled(sender, instance: CourseEnrollment, created: bool, **kwargs) -> None:
    if created or instance.is_active:
        return
    get_enterprise_course_enrollment_model()._default_manager.filter(
        enterprise_customer_user__user_id=instance.user_id,
        course_id=instance.course_id,
        unenrolled__isnull=True,
    ).update(unenrolled=True, unenrolled_at=timezone.now())
