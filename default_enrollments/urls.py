"""The app's URLs; a host mounts them at ``enterprise/`` to get edx-enterprise's API paths."""
from django.urls import include, path

app_name = "default_enrollments"

urlpatterns = [
    path("api/v1/", include("default_enrollments.rest_api.v1.urls")),
]
