"""A stand-in for the edx-platform package of the same name (tests only)."""
