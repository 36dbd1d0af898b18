"""Errors a use case raises; the API turns each into `{"success": false, "error_message": ...}`."""


class AppError(Exception):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class RateLimited(AppError):
    """VecML answers its rate limit with 400, not 429."""

    status_code = 400

    def __init__(self):
        super().__init__("Request limit reached, please try again later")
