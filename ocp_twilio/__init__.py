"""ocp-twilio: Twilio's API as validated, async tools for LLM agents (Open Context Protocol style).

>>> async with OCPAgent() as agent:
...     await agent.register_api("twilio")
...     await agent.call_tool("updatePayments", {...})
"""

from .agent import DEFAULT_MAX_IN_FLIGHT, OCPAgent, RegisteredAPI
from .credentials import Credentials
from .dispatch import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, USER_AGENT, ResponseValidation
from .errors import (
    AmbiguousToolName,
    APINotFound,
    ArgumentError,
    ConfigurationError,
    InvalidArguments,
    OCPError,
    RequestTimeout,
    ResponseTooLarge,
    ResponseValidationError,
    SpecError,
    ToolNotFound,
    TransportError,
    TwilioAPIError,
)
from .plugin import APIDefinition
from .retry import RetryPolicy
from .spec import OperationSpec, ParameterSpec, ResponseSpec, load_spec_dir, load_spec_file
from .tool import PreparedRequest, Tool
from .version import __version__

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "APIDefinition",
    "APINotFound",
    "AmbiguousToolName",
    "ArgumentError",
    "ConfigurationError",
    "Credentials",
    "InvalidArguments",
    "OCPAgent",
    "OCPError",
    "OperationSpec",
    "ParameterSpec",
    "PreparedRequest",
    "RegisteredAPI",
    "RequestTimeout",
    "ResponseSpec",
    "ResponseTooLarge",
    "ResponseValidation",
    "ResponseValidationError",
    "RetryPolicy",
    "SpecError",
    "Tool",
    "ToolNotFound",
    "TransportError",
    "TwilioAPIError",
    "__version__",
    "load_spec_dir",
    "load_spec_file",
]
