"""Our own errors. Adapters translate foreign exceptions into these (`raise ... from exc`)."""

from __future__ import annotations


class BarberbotError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(BarberbotError):
    code = "not_found"
    status = 404


class InvalidBooking(BarberbotError):
    """The request breaks a booking rule (past, outside hours, beyond horizon, unknown service...)."""

    code = "invalid_booking"
    status = 422


class SlotTaken(BarberbotError):
    """Another booking (or the barber's time off) holds that time."""

    code = "slot_taken"
    status = 409


class Conflict(BarberbotError):
    code = "conflict"
    status = 409


class SendFailed(BarberbotError):
    """An outgoing message did not go; `retryable` says whether trying again may help."""

    code = "send_failed"

    def __init__(self, message: str, *, retryable: bool, error_code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.error_code = error_code
