"""Domain errors. The API maps each class to one HTTP status; the engine never speaks HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Problem:
    """One machine-readable problem: a code, a message, and where (file, BPMN element, form field)."""

    code: str
    message: str
    file: str | None = None
    element: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class MotcuaError(Exception):
    title = "Error"
    code = "error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(MotcuaError):
    title = "Not found"
    code = "not-found"


class Forbidden(MotcuaError):
    title = "Forbidden"
    code = "forbidden"


class PasswordChangeRequired(Forbidden):
    """The account's password was set by an administrator: it is changed before anything else is done."""

    title = "Password change required"
    code = "password-change-required"


class Unauthorized(MotcuaError):
    title = "Unauthorized"
    code = "unauthorized"


class Conflict(MotcuaError):
    title = "Conflict"
    code = "conflict"


class BadRequest(MotcuaError):
    title = "Bad request"
    code = "bad-request"


class ValidationFailed(MotcuaError):
    """Submitted data does not satisfy a form or schema; `errors` maps field -> messages."""

    title = "Invalid data"
    code = "validation-failed"

    def __init__(self, detail: str, errors: dict[str, Any]) -> None:
        errors = plain(errors)
        super().__init__(detail, errors=errors)
        self.errors = errors


def plain(messages: Any) -> Any:
    """Messages as JSON can carry them: marshmallow keys a list item's errors by its index (an int), and a
    message may be any object; keys become strings, anything else its text."""
    if isinstance(messages, dict):
        return {str(key): plain(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple | set):
        return [plain(value) for value in messages]
    if messages is None or isinstance(messages, str | int | float | bool):
        return messages
    return str(messages)


class ProcessError(MotcuaError):
    """A script, condition or gateway of the procedure failed; nothing was saved.

    `reason` says which kind of failure: `script-error` (the code raised), or a bound it went over
    (`time-limit`, `memory-limit`, `step-limit`, `size-limit`, `depth-limit`), `forbidden`, `unstorable`.
    """

    title = "Process error"
    code = "process-error"

    def __init__(self, detail: str, element: str | None = None, reason: str = "script-error",
                 element_name: str | None = None, message_vi: str | None = None,
                 message_en: str | None = None) -> None:
        # said plainly (engine/dossiers/run_errors.py) when known: the detail is then the English message,
        # which quotes the engine's own words at its end
        super().__init__(message_en or detail, element=element, reason=reason, message_vi=message_vi,
                         message_en=message_en)
        self.element = element
        self.reason = reason
        self.element_name = element_name
        self.engine_detail = detail
        self.message_vi = message_vi
        self.message_en = message_en


class InvalidPackage(MotcuaError):
    """A procedure package (BPMN, DMN, metadata, forms) cannot be loaded."""

    title = "Invalid procedure package"
    code = "invalid-package"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems), problems=[p.as_dict() for p in problems])
        self.problems = problems
