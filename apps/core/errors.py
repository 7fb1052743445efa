"""The one application error type services raise; the API maps it to a JSON error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ApplicationError(Exception):
    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 400,
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = {k: list(v) for k, v in (fields or {}).items()}

    @classmethod
    def field(cls, field: str, message: str, *, code: str = "invalid") -> ApplicationError:
        """A 400 about one input field."""
        return cls(message, code=code, fields={field: [message]})


class NotFound(ApplicationError):
    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message, code="not_found", status=404)


class Conflict(ApplicationError):
    def __init__(self, message: str, *, code: str = "conflict") -> None:
        super().__init__(message, code=code, status=409)
