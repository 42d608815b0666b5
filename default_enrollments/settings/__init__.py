"""
Open edX plugin settings: ``plugin_settings(settings)`` hooks that edx-django-utils calls on the LMS settings module.

A standalone Django host does not use these; it sets ``DEFAULT_ENROLLMENTS`` and the host-model settings itself.
"""
