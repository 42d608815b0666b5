"""The error classes of edx-platform's enrollment API, with the same names and hierarchy."""


class CourseEnrollmentError(Exception):
    def __init__(self, msg: str, data=None):
        super().__init__(msg)
        self.data = data


class CourseEnrollmentExistsError(CourseEnrollmentError):
    def __init__(self, message: str, enrollment: dict):
        super().__init__(message)
        self.enrollment = enrollment


class CourseModeNotFoundError(CourseEnrollmentError):
    pass


class CourseNotFoundError(CourseEnrollmentError):
    pass


class CourseEnrollmentClosedError(CourseEnrollmentError):
    pass


class UserNotFoundError(CourseEnrollmentError):
    pass
