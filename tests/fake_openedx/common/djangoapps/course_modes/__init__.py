"""A stand-in for edx-platform's course modes app: the ``CourseMode`` model the Open edX backend reads."""
