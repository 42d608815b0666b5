"""
Operator UI: intentions (with history, soft delete and restore), read-only realizations, and an inline of
intentions on the host's enterprise customer admin.

Catalog answers are never fetched per row: a list page resolves its rows in one batch before the template
reads them, and the customer inline shows only stored fields.
"""
from default_enrollments.admin.host_inline import DefaultEnrollmentIntentionInline, attach_intentions_inline
from default_enrollments.admin.intentions import DefaultEnterpriseEnrollmentIntentionAdmin
from default_enrollments.admin.opt_outs import CustomerOptOutAdmin
from default_enrollments.admin.realizations import DefaultEnterpriseEnrollmentRealizationAdmin

attach_intentions_inline()

__all__ = [
    "CustomerOptOutAdmin",
    "DefaultEnrollmentIntentionInline",
    "DefaultEnterpriseEnrollmentIntentionAdmin",
    "DefaultEnterpriseEnrollmentRealizationAdmin",
    "attach_intentions_inline",
]
