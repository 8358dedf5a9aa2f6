"""ocp-twilio: Twilio's API as validated, async tools for LLM agents (Open Context Protocol style).

>>> async with OCPAgent() as agent:
...     await agent.register_api("twilio")
...     await agent.call_tool("updatePayments", {...})
"""

from .adapters import (
    anthropic_tool_result,
    anthropic_tools,
    mcp_tools,
    ocp_catalog_entry,
    openai_tool_result,
    openai_tools,
    tool_definitions,
)
from .agent import DEFAULT_MAX_IN_FLIGHT, OCPAgent, RegisteredAPI, load_api, load_tools
from .context import (
    HISTORY_LIMIT,
    OCP_HEADER_NAMES,
    SESSION_LIMIT,
    CallRecord,
    OCPContext,
    decode_header_text,
    decode_session,
)
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
from .openapi import parse_openapi_document
from .plugin import APIDefinition
from .registry import ENTRY_POINT_GROUP, APIRegistry, ResolvedAPI
from .retry import RetryPolicy
from .spec import OperationSpec, ParameterSpec, ResponseSpec
from .spec_sources import load_operations
from .sync import sync_specs
from .tool import PreparedRequest, Tool
from .tool_index import qualified_name
from .transport import AiohttpTransport, Answer, Transport
from .version import __version__

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "HISTORY_LIMIT",
    "OCP_HEADER_NAMES",
    "SESSION_LIMIT",
    "USER_AGENT",
    "APIDefinition",
    "APINotFound",
    "APIRegistry",
    "AiohttpTransport",
    "AmbiguousToolName",
    "Answer",
    "ArgumentError",
    "CallRecord",
    "ConfigurationError",
    "Credentials",
    "InvalidArguments",
    "OCPAgent",
    "OCPContext",
    "OCPError",
    "OperationSpec",
    "ParameterSpec",
    "PreparedRequest",
    "RegisteredAPI",
    "RequestTimeout",
    "ResolvedAPI",
    "ResponseSpec",
    "ResponseTooLarge",
    "ResponseValidation",
    "ResponseValidationError",
    "RetryPolicy",
    "SpecError",
    "Tool",
    "ToolNotFound",
    "Transport",
    "TransportError",
    "TwilioAPIError",
    "__version__",
    "anthropic_tool_result",
    "anthropic_tools",
    "decode_header_text",
    "decode_session",
    "load_api",
    "load_operations",
    "load_tools",
    "mcp_tools",
    "ocp_catalog_entry",
    "openai_tool_result",
    "openai_tools",
    "parse_openapi_document",
    "qualified_name",
    "sync_specs",
    "tool_definitions",
]
