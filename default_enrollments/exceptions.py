"""The app's errors. Callers catch these, never a library's own exceptions."""


class DefaultEnrollmentsError(Exception):
    """Base class for every error this app raises on purpose."""


class EnrollmentError(DefaultEnrollmentsError):
    """The LMS refused to create, reactivate or upgrade an enrollment."""


class CatalogError(DefaultEnrollmentsError):
    """The catalog could not be asked, or its answer could not be trusted."""


class CatalogUnavailable(CatalogError):
    """The catalog did not answer in time, refused the connection, or answered with a server error."""


class CatalogResponseError(CatalogError):
    """The catalog answered, but not with the JSON shape its API promises."""

