"""
URLs of the edx-enterprise test host: ours first, then edx-enterprise's.

Both answer ``enterprise/api/v1/default-enterprise-enrollment-intentions/``; Django takes the first match, so
listing the reference test URLs (admin, ``/login/``, our app at ``enterprise/``) first makes ours answer there.
"""
from django.urls import include, path

from tests.urls import urlpatterns as reference_urlpatterns

urlpatterns = [
    *reference_urlpatterns,
    path("", include("enterprise.urls")),
]
