"""A stand-in for edx-platform's student app: the ``CourseEnrollment`` model the Open edX backend reads."""
