"""Version 1 of the REST API: edx-enterprise's intention paths and the OpenAPI schema of exactly those."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from default_enrollments.rest_api.v1.schema import V1SchemaView
from default_enrollments.rest_api.v1.views import DefaultEnterpriseEnrollmentIntentionViewSet

router = SimpleRouter()
router.register(
    "default-enterprise-enrollment-intentions",
    DefaultEnterpriseEnrollmentIntentionViewSet,
    basename="default-enterprise-enrollment-intentions",
)

urlpatterns = [
    *router.urls,
    path("schema/", V1SchemaView.as_view(), name="schema"),
]
