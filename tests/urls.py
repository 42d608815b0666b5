"""URLs of the test host: the admin, a plain login page, and the app mounted where Open edX mounts it."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="admin/login.html"), name="login"),
    path("enterprise/", include("default_enrollments.urls")),
]
