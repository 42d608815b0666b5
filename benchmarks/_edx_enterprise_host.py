"""
The edx-enterprise test host of ``learner_status_vs_edx_enterprise.py``: what stands in for edx-platform, the
settings and URLs both apps read, and the world (customer, learner, intentions) both are asked about.
"""
from __future__ import annotations

import types

OURS_PREFIX = "ours/"

# What edx-platform would provide and this process has not; each is installed by install_stand_ins().
STAND_INS = [
    "enterprise.api_client.client.JwtBuilder: edx-platform's oauth_dispatch.jwt module; the stand-in's "
    "create_jwt_for_user(user) returns the loopback catalog's access token (no HTTP call, as in the LMS, "
    "where the JWT is signed locally)",
    "enterprise.utils.CourseMode: edx-platform's course_modes.CourseMode; the stand-in is a table "
    "(course_id, slug) filled with each run's seat types from the catalog, so best_mode_for_course_run "
    "costs one SELECT per call, as in the LMS",
    "enterprise.models.CourseEnrollment: edx-platform's student.CourseEnrollment; the stand-in is the "
    "reference host's CourseEnrollment (user, course_id, mode, is_active), the table our reference "
    "enrollment backend reads, so both APIs see the same LMS enrollments",
]
HOST_SETTINGS = [
    "ENTERPRISE_CATALOG_INTERNAL_ROOT_URL and ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_* point at the loopback catalog",
    "MIDDLEWARE starts with edx_django_utils.cache.middleware.RequestCacheMiddleware, as in the LMS",
    "REST_FRAMEWORK's user throttle rate is raised so repetitions are not throttled (both APIs still throttle)",
    "the test database schema is built from the models (TEST MIGRATE = False)",
]


# --- the host ---------------------------------------------------------------------------------------------


def configure_host(server) -> None:
    """Settings both apps read, set before ``django.setup()`` (edx-enterprise reads its catalog URL on import)."""
    from django.conf import settings  # noqa: PLC0415

    from tests import catalog_server  # noqa: PLC0415

    settings.ENTERPRISE_CATALOG_INTERNAL_ROOT_URL = server.root_url
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL = server.oauth2_url
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_KEY = catalog_server.CLIENT_ID
    settings.ENTERPRISE_BACKEND_SERVICE_EDX_OAUTH2_SECRET = catalog_server.CLIENT_SECRET
    settings.MIDDLEWARE = ["edx_django_utils.cache.middleware.RequestCacheMiddleware", *settings.MIDDLEWARE]
    rest_framework = dict(getattr(settings, "REST_FRAMEWORK", {}))
    rest_framework["DEFAULT_THROTTLE_RATES"] = {
        **rest_framework.get("DEFAULT_THROTTLE_RATES", {}), "user": "1000000/minute",
    }
    settings.REST_FRAMEWORK = rest_framework


def install_stand_ins():
    """The three edx-platform pieces listed in ``STAND_INS``; returns the course-mode stand-in model."""
    from django.db import models  # noqa: PLC0415
    from enterprise import models as enterprise_models  # noqa: PLC0415
    from enterprise import utils as enterprise_utils  # noqa: PLC0415
    from enterprise.api_client import client as enterprise_client  # noqa: PLC0415

    from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: PLC0415
    from tests.catalog_server import ACCESS_TOKEN  # noqa: PLC0415

    enterprise_client.JwtBuilder = types.SimpleNamespace(create_jwt_for_user=lambda user: ACCESS_TOKEN)

    class CourseModeStandIn(models.Model):
        course_id = models.CharField(max_length=255, db_index=True)
        slug = models.CharField(max_length=100)

        class Meta:
            app_label = "default_enrollments_reference"  # an installed app, so the test database gets the table
            db_table = "benchmark_course_modes"

        def __str__(self) -> str:
            return f"{self.course_id} {self.slug}"

    enterprise_utils.CourseMode = CourseModeStandIn
    enterprise_models.CourseEnrollment = CourseEnrollment
    return CourseModeStandIn


def install_urls() -> None:
    """edx-enterprise's URLs as an LMS mounts them, and ours at ``/ours/`` so both answer side by side."""
    from django.conf import settings  # noqa: PLC0415
    from django.urls import clear_url_caches, include, path  # noqa: PLC0415

    urlconf = types.ModuleType("learner_status_benchmark_urls")
    urlconf.urlpatterns = [
        path(OURS_PREFIX, include("default_enrollments.urls")),
        path("", include("enterprise.urls")),
    ]
    settings.ROOT_URLCONF = urlconf
    clear_url_caches()


# --- the world --------------------------------------------------------------------------------------------


def seed_staff():
    """The user who asks (staff may name the learner with ``lms_user_id`` in both APIs) and edx-enterprise's
    service worker, whom its catalog client looks up on every construction."""
    from django.conf import settings  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    users = get_user_model()._default_manager
    users.create_user(username=settings.ENTERPRISE_SERVICE_WORKER_USERNAME, email="worker@example.com")
    return users.create_superuser(username="bench-staff", email="staff@example.com", password="unused")


def intention_plan(count: int) -> list[dict]:
    """
    N intentions with a known expected group each: most enrollable; every 5th course's advertised run closed,
    every 7th course outside the customer's catalogs (not enrollable); every 3rd already enrolled in verified;
    every 4th (else) enrolled in audit with verified on offer (enrollable: an upgrade); every 6th named by its
    run key rather than its course key.
    """
    plan = []
    for number in range(1, count + 1):
        course_key = f"LS{count}+Course{number:03d}"
        run_key = f"course-v1:{course_key}+1T2030"
        closed = number % 5 == 0
        in_catalog = number % 7 != 0
        enrollment = None
        if number % 3 == 0:
            enrollment = "verified"
        elif number % 4 == 0:
            enrollment = "audit"
        if closed or not in_catalog:
            expected = "already_enrolled" if enrollment == "verified" else "not_enrollable"
        else:
            expected = "already_enrolled" if enrollment == "verified" else "enrollable"
        plan.append({
            "course_key": course_key,
            "run_key": run_key,
            "content_key": run_key if number % 6 == 0 else course_key,
            "closed": closed,
            "in_catalog": in_catalog,
            "enrollment": enrollment,
            "expected": expected,
        })
    return plan


def seed_world(server, course_mode_model, count: int) -> dict:
    """A customer, its catalog on the loopback server, a linked learner and the N intentions, twice over."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from enterprise import models as enterprise_models  # noqa: PLC0415

    from default_enrollments.contrib.reference_host.models import CourseEnrollment  # noqa: PLC0415
    from default_enrollments.models import DefaultEnterpriseEnrollmentIntention  # noqa: PLC0415
    from tests.catalog_server import course_run  # noqa: PLC0415

    plan = intention_plan(count)
    customer = enterprise_models.EnterpriseCustomer.objects.create(
        name=f"Learner status benchmark {count}", slug=f"learner-status-{count}", active=True
    )
    for item in plan:
        server.add_course(item["course_key"], [course_run(item["run_key"], is_enrollable=not item["closed"])])
        course_mode_model.objects.bulk_create(
            [course_mode_model(course_id=item["run_key"], slug=slug) for slug in ("audit", "verified")]
        )
    server.add_catalog(customer.uuid, [item["course_key"] for item in plan if item["in_catalog"]])

    learner = get_user_model()._default_manager.create_user(
        username=f"ls-learner-{count}", email=f"ls-learner-{count}@example.com"
    )
    # Inserted without post_save: neither edx-enterprise's link receivers nor our link trigger run.
    [link] = enterprise_models.EnterpriseCustomerUser.objects.bulk_create([
        enterprise_models.EnterpriseCustomerUser(
            enterprise_customer=customer, user_id=learner.pk, active=True, linked=True
        )
    ])
    enrolled = [item for item in plan if item["enrollment"]]
    CourseEnrollment.objects.bulk_create([
        CourseEnrollment(user=learner, course_id=item["run_key"], mode=item["enrollment"], is_active=True)
        for item in enrolled
    ])
    enterprise_models.EnterpriseCourseEnrollment.objects.bulk_create([
        enterprise_models.EnterpriseCourseEnrollment(enterprise_customer_user=link, course_id=item["run_key"])
        for item in enrolled
    ])
    for item in plan:
        # edx-enterprise's save() runs full_clean(), which resolves the key through its catalog client.
        enterprise_models.DefaultEnterpriseEnrollmentIntention.objects.create(
            enterprise_customer=customer, content_key=item["content_key"]
        )
        DefaultEnterpriseEnrollmentIntention.objects.create(
            enterprise_customer=customer, content_key=item["content_key"]
        )
    query = f"?enterprise_customer_uuid={customer.uuid}&lms_user_id={learner.pk}"
    return {"count": count, "customer": customer, "learner": learner, "plan": plan, "query": query}
