"""
Stand-ins for the parts of edx-platform the Open edX backend imports.

Not a package the tests import directly: ``tests/test_backends.py`` puts this directory on ``sys.path`` so
that ``openedx.core.djangoapps.enrollments.api`` resolves here, as it would inside an LMS.
"""
