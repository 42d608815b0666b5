"""
Adapters for hosts that run edx-enterprise (every Open edX LMS).

Only these modules import edx-enterprise and edx-rbac; the core never does.
"""
