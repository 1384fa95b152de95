"""Errors that the emulator returns to AWS SDK clients and to control callers."""

from __future__ import annotations

from typing import Any

from emulator.model import service_model


class ApiError(Exception):
    """An OpenSearch Service API error, sent the way rest-json services send them.

    The HTTP status comes from the error shape in botocore's service model, so a
    client sees the status that AWS documents for that code.
    """

    def __init__(
        self, code: str, message: str, *, http_status: int | None = None, **extra: Any
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        # Overrides the model's status, for an error sent at another status
        # (ThrottlingException at 400).
        self._http_status = http_status
        # Modeled members of the error shape, such as SlotSuggestions.
        self.extra = extra

    @property
    def status(self) -> int:
        if self._http_status is not None:
            return self._http_status
        return error_status(self.code)

    def body(self) -> dict[str, Any]:
        return {"message": self.message, **self.extra}


def error_status(code: str) -> int:
    """Return the HTTP status that the service model gives error ``code``.

    BaseException has no status in the model, so it gets 400, the status of a client error.
    """
    shape = service_model().shape_for(code)
    status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    return int(status)


def validation_error(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def domain_not_found(name: str) -> ApiError:
    # The same code, status and message text that moto 5.2.5 sends for a missing domain.
    return ApiError("ResourceNotFoundException", f"Domain not found: {name}")


class ControlError(Exception):
    """A rejected call to a /_emulator/ control endpoint."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
