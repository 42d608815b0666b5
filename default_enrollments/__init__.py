"""Automatic default enrollments for enterprise learners, realized on login."""

__version__ = "0.1.0"
