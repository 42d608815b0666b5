"""The demo's one page: what the logged-in learner is enrolled in, and which of it came from default enrollments."""
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from default_enrollments.contrib.reference_host.models import CourseEnrollment
from default_enrollments.models import DefaultEnterpriseEnrollmentRealization, get_enterprise_customer_user_model


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A stand-in for the LMS dashboard, so a newcomer sees the effect of logging in."""
    user = request.user
    realized = {
        realization.realized_enrollment.course_id: realization
        for realization in DefaultEnterpriseEnrollmentRealization.objects.filter(
            realized_enrollment__enterprise_customer_user__user_id=user.pk
        ).select_related("intended_enrollment", "realized_enrollment")
    }
    enrollments = [
        {"enrollment": enrollment, "realization": realized.get(enrollment.course_id)}
        for enrollment in CourseEnrollment.objects.filter(user=user).order_by("course_id")
    ]
    links = get_enterprise_customer_user_model()._default_manager.filter(user_id=user.pk, active=True, linked=True)
    customer_uuids = [str(uuid) for uuid in links.values_list("enterprise_customer_id", flat=True)]
    return render(
        request,
        "demo/home.html",
        {"enrollments": enrollments, "customer_uuids": customer_uuids},
    )
