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



class LicenseManagerError(DefaultEnrollmentsError):
    """license-manager could not be asked about a learner's subscription licenses, or its answer was unreadable."""


class LicenseManagerUnavailable(LicenseManagerError):
    """license-manager is not configured, did not answer in time, refused the connection or answered an error."""


class LicenseManagerResponseError(LicenseManagerError):
    """license-manager answered, but not with the JSON shape its API promises (or with more than allowed)."""
