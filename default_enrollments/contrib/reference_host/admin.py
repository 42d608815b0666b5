"""
Admin for the bundled reference host models, so the demo and the tests have a customer admin
(which ``default_enrollments.admin`` extends with an inline of intentions) and can inspect enrollments.

Swapped-out models (a host pointing the settings elsewhere) are skipped by ``admin.site.register``.
"""
from django.contrib import admin

from default_enrollments.contrib.reference_host.models import (
    CourseEnrollment,
    EnterpriseCourseEnrollment,
    EnterpriseCustomer,
    EnterpriseCustomerUser,
    EnterpriseEnrollmentSource,
    LicensedEnterpriseCourseEnrollment,
)


@admin.register(EnterpriseCustomer)
class EnterpriseCustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "uuid", "modified")
    list_filter = ("active",)
    search_fields = ("name", "slug", "=uuid")
    readonly_fields = ("uuid", "created", "modified")
    fields = ("uuid", "name", "slug", "active", "created", "modified")


@admin.register(EnterpriseCustomerUser)
class EnterpriseCustomerUserAdmin(admin.ModelAdmin):
    list_display = ("id", "user_id", "enterprise_customer", "active", "linked", "modified")
    list_filter = ("active", "linked")
    list_select_related = ("enterprise_customer",)
    search_fields = ("=user_id", "enterprise_customer__name")
    raw_id_fields = ("enterprise_customer",)


@admin.register(EnterpriseCourseEnrollment)
class EnterpriseCourseEnrollmentAdmin(admin.ModelAdmin):
    list_display = ("id", "course_id", "enterprise_customer_user", "source", "unenrolled", "saved_for_later", "created")
    list_filter = ("unenrolled", "saved_for_later", "source")
    list_select_related = ("enterprise_customer_user", "source")
    search_fields = ("course_id", "=enterprise_customer_user__user_id")
    raw_id_fields = ("enterprise_customer_user",)


@admin.register(EnterpriseEnrollmentSource)
class EnterpriseEnrollmentSourceAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "created")
    search_fields = ("slug", "name")


@admin.register(LicensedEnterpriseCourseEnrollment)
class LicensedEnterpriseCourseEnrollmentAdmin(admin.ModelAdmin):
    list_display = ("id", "enterprise_course_enrollment", "license_uuid", "is_revoked", "modified")
    list_filter = ("is_revoked",)
    list_select_related = ("enterprise_course_enrollment",)
    search_fields = ("=license_uuid", "enterprise_course_enrollment__course_id")
    raw_id_fields = ("enterprise_course_enrollment",)
    readonly_fields = ("uuid", "created", "modified")


@admin.register(CourseEnrollment)
class CourseEnrollmentAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "course_id", "mode", "is_active", "modified")
    list_filter = ("mode", "is_active")
    list_select_related = ("user",)
    search_fields = ("course_id", "user__username", "user__email")
    raw_id_fields = ("user",)
