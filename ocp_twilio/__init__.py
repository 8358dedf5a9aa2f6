"""ocp-twilio: Twilio's API as validated, async tools for LLM agents (Open Context Protocol style).

>>> async with OCPAgent() as agent:
...     await agent.register_api("twilio")
...     await agent.call_tool("updatePayments", {...})
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._agent import OCPAgent
from ._config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    Limits,
)
from ._exceptions import (
    AmbiguousToolName,
    APINotFound,
    ArgumentError,
    CallRefused,
    ConfigurationError,
    ExitCode,
    InvalidArguments,
    OCPError,
    OutcomeUnknown,
    PolicyError,
    ProgressStoreUnavailable,
    RepeatedSend,
    RequestTimeout,
    ResponseTooLarge,
    ResponseValidationError,
    SendLedgerUnavailable,
    SpecError,
    ToolNotFound,
    TooManyWaits,
    TransportError,
    TwilioAPIError,
)
from ._version import __version__

if TYPE_CHECKING:
    from .adapters import (
        anthropic_tool_result,
        anthropic_tools,
        mcp_tools,
        ocp_catalog,
        ocp_catalog_entry,
        openai_tool_result,
        openai_tools,
        tool_definitions,
    )
    from .payments.redis_store import RedisProgressStore
    from .sends.redis_ledger import RedisSendLedger
from .http.aiohttp_transport import AiohttpTransport
from .http.credentials import Credentials
from .http.dispatch import USER_AGENT, ResponseValidation
from .http.mock import MockTransport
from .http.retry import RetryPolicy
from .http.timeout import Timeout
from .http.transport import Request, Response, Transport
from .ocp.context import (
    HISTORY_LIMIT,
    OCP_HEADER_NAMES,
    SESSION_LIMIT,
    CallRecord,
    OCPContext,
    decode_header_text,
    decode_session,
)
from .ocp.plugin import APIDefinition
from .ocp.registry import ENTRY_POINT_GROUP, APIRegistry, ResolvedAPI
from .ocp.sync import sync_specs
from .payments.progress import CallbackEvent, PaymentProgress
from .payments.receiver import DEFAULT_CALLBACK_PATH, StatusCallbackReceiver
from .payments.signatures import SIGNATURE_HEADER, compute_signature, validate_signature
from .payments.stores import MemoryProgressStore, ProgressStore
from .payments.tools import MAX_WAIT_SECONDS
from .policy.approval import Approval, ApprovalRequest, Approver
from .policy.audit import AuditLog, AuditRecord
from .policy.guard import RuleReport
from .policy.rules import Policy
from .registration.apis import RegisteredAPI, load_api, load_tools
from .sends.ledger import MemorySendLedger, SendLedger
from .sends.operations import SEND_KEY
from .sends.runner import SendSettings
from .specs.model import OperationSpec, ParameterSpec, ResponseSpec
from .specs.openapi import parse_openapi_document
from .specs.sources import load_operations
from .tools.encoding import PreparedRequest
from .tools.index import qualified_name
from .tools.tool import Tool

__all__ = [
    "DEFAULT_CALLBACK_PATH",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "HISTORY_LIMIT",
    "MAX_WAIT_SECONDS",
    "OCP_HEADER_NAMES",
    "SEND_KEY",
    "SESSION_LIMIT",
    "SIGNATURE_HEADER",
    "USER_AGENT",
    "APIDefinition",
    "APINotFound",
    "APIRegistry",
    "AiohttpTransport",
    "AmbiguousToolName",
    "Approval",
    "ApprovalRequest",
    "Approver",
    "ArgumentError",
    "AuditLog",
    "AuditRecord",
    "CallRecord",
    "CallRefused",
    "CallbackEvent",
    "ConfigurationError",
    "Credentials",
    "ExitCode",
    "InvalidArguments",
    "Limits",
    "MemoryProgressStore",
    "MemorySendLedger",
    "MockTransport",
    "OCPAgent",
    "OCPContext",
    "OCPError",
    "OperationSpec",
    "OutcomeUnknown",
    "ParameterSpec",
    "PaymentProgress",
    "Policy",
    "PolicyError",
    "PreparedRequest",
    "ProgressStore",
    "ProgressStoreUnavailable",
    "RedisProgressStore",
    "RedisSendLedger",
    "RegisteredAPI",
    "RepeatedSend",
    "Request",
    "RequestTimeout",
    "ResolvedAPI",
    "Response",
    "ResponseSpec",
    "ResponseTooLarge",
    "ResponseValidation",
    "ResponseValidationError",
    "RetryPolicy",
    "RuleReport",
    "SendLedger",
    "SendLedgerUnavailable",
    "SendSettings",
    "SpecError",
    "StatusCallbackReceiver",
    "Timeout",
    "TooManyWaits",
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
    "ocp_catalog",
    "ocp_catalog_entry",
    "openai_tool_result",
    "openai_tools",
    "parse_openapi_document",
    "qualified_name",
    "sync_specs",
    "tool_definitions",
    "validate_signature",
]

# The adapters are loaded on first use, so that ``import ocp_twilio`` stays light.
_ADAPTER_NAMES = frozenset(
    {
        "anthropic_tool_result",
        "anthropic_tools",
        "mcp_tools",
        "ocp_catalog",
        "ocp_catalog_entry",
        "openai_tool_result",
        "openai_tools",
        "tool_definitions",
    }
)

# The names that need the redis extra, by the module that defines each.
_REDIS_MODULES = {
    "RedisProgressStore": ".payments.redis_store",
    "RedisSendLedger": ".sends.redis_ledger",
}


def __getattr__(name: str) -> Any:
    if name in _ADAPTER_NAMES:
        from . import adapters

        return getattr(adapters, name)
    module = _REDIS_MODULES.get(name)
    if module is not None:  # imports redis-py: only where it is asked for
        from ._extras import needs_extra

        with needs_extra("redis", name):
            return getattr(importlib.import_module(module, __name__), name)
    raise AttributeError(f"module 'ocp_twilio' has no attribute {name!r}")
