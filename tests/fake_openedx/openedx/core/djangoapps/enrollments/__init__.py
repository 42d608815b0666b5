"""A stand-in for edx-platform's enrollment app: the API functions and errors the Open edX backend calls."""
