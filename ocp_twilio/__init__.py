"""ocp-twilio: Twilio's API as validated, async tools for LLM agents (Open Context Protocol style).

>>> async with OCPAgent() as agent:
...     await agent.register_api("twilio")
...     await agent.call_tool("updatePayments", {...})
"""

from .agent import OCPAgent, RegisteredAPI
from .catalog import load_operations
from .credentials import Credentials
from .dispatch import DEFAULT_TIMEOUT, USER_AGENT, ResponseValidation
from .errors import (
    AmbiguousToolName,
    APINotFound,
    ArgumentError,
    ConfigurationError,
    InvalidArguments,
    OCPError,
    RequestTimeout,
    ResponseValidationError,
    SpecError,
    ToolNotFound,
    TransportError,
    TwilioAPIError,
)
from .openapi import parse_openapi_document
from .plugin import APIDefinition
from .spec import OperationSpec, ParameterSpec, ResponseSpec, load_spec_dir, load_spec_file
from .sync import sync_specs
from .tool import PreparedRequest, Tool
from .tool_index import qualified_name
from .version import __version__

__all__ = [
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
    "ResponseValidation",
    "ResponseValidationError",
    "SpecError",
    "Tool",
    "ToolNotFound",
    "TransportError",
    "TwilioAPIError",
    "__version__",
    "load_operations",
    "load_spec_dir",
    "load_spec_file",
    "parse_openapi_document",
    "qualified_name",
    "sync_specs",
]
