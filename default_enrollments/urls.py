"""
The app's URLs; a host mounts them at ``enterprise/`` to get edx-enterprise's API paths.

The same API is also served under ``default-enrollments/``, a path edx-enterprise does not use: on an LMS
whose edx-enterprise answers the shared paths first, that one still reaches this app (ADR 0003).
"""
from django.urls import include, path

app_name = "default_enrollments"

V1_URLS = "default_enrollments.rest_api.v1.urls"

urlpatterns = [
    path("api/v1/", include(V1_URLS)),
    path("default-enrollments/api/v1/", include((V1_URLS, "unshadowed"), namespace="unshadowed")),
]
