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
from .payment_progress import CallbackEvent, PaymentProgress
from .payment_tools import MAX_WAIT_SECONDS, PaymentProgressTool
from .plugin import APIDefinition
from .progress_store import MemoryProgressStore, ProgressStore
from .registry import ENTRY_POINT_GROUP, APIRegistry, ResolvedAPI
from .retry import RetryPolicy
from .signatures import SIGNATURE_HEADER, compute_signature, validate_signature
from .spec import OperationSpec, ParameterSpec, ResponseSpec
from .spec_sources import load_operations
from .status_receiver import DEFAULT_CALLBACK_PATH, StatusCallbackReceiver
from .sync import sync_specs
from .tool import PreparedRequest, Tool
from .tool_index import qualified_name
from .transport import AiohttpTransport, Answer, Transport
from .version import __version__

__all__ = [
    "DEFAULT_CALLBACK_PATH",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "HISTORY_LIMIT",
    "MAX_WAIT_SECONDS",
    "OCP_HEADER_NAMES",
    "SESSION_LIMIT",
    "SIGNATURE_HEADER",
    "USER_AGENT",
    "APIDefinition",
    "APINotFound",
    "APIRegistry",
    "AiohttpTransport",
    "AmbiguousToolName",
    "Answer",
    "ArgumentError",
    "CallRecord",
    "CallbackEvent",
    "ConfigurationError",
    "Credentials",
    "InvalidArguments",
    "MemoryProgressStore",
    "OCPAgent",
    "OCPContext",
    "OCPError",
    "OperationSpec",
    "ParameterSpec",
    "PaymentProgress",
    "PaymentProgressTool",
    "PreparedRequest",
    "ProgressStore",
    "RegisteredAPI",
    "RequestTimeout",
    "ResolvedAPI",
    "ResponseSpec",
    "ResponseTooLarge",
    "ResponseValidation",
    "ResponseValidationError",
    "RetryPolicy",
    "SpecError",
    "StatusCallbackReceiver",
    "Tool",
    "ToolNotFound",
    "Transport",
    "TransportError",
    "TwilioAPIError",
    "__version__",
    "anthropic_tool_result",
    "anthropic_tools",
    "compute_signature",
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
    "validate_signature",
]
