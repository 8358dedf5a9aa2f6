"""Twilio's error answers, as the sandbox gives them: ``{code, message, more_info, status}``."""

from __future__ import annotations

from typing import Any

from .test_data import redact_card_like

__all__ = ["SandboxError", "bad_request", "error_body", "invalid_parameter", "not_found"]


class SandboxError(Exception):
    """A request the sandbox refuses; the handler turns it into Twilio's error body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    @property
    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.code, self.message)


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def not_found(what: str) -> SandboxError:
    # ``what`` comes from the request path, where a client may put anything.
    return SandboxError(
        404, 20404, f"The requested resource {redact_card_like(what)} was not found"
    )


def invalid_parameter(message: str) -> SandboxError:
    return SandboxError(400, 64020, message)


def bad_request(message: str) -> SandboxError:
    """A request that cannot be read at all; Twilio publishes no code for it: 20001, the
    sandbox's choice in Twilio's pattern."""
    return SandboxError(400, 20001, message)
