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
from .agent import OCPAgent, RegisteredAPI, load_tools
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
from .plugin import APIDefinition
from .spec import OperationSpec, ParameterSpec, ResponseSpec, load_spec_dir, load_spec_file
from .tool import PreparedRequest, Tool
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
    "anthropic_tool_result",
    "anthropic_tools",
    "load_spec_dir",
    "load_spec_file",
    "load_tools",
    "mcp_tools",
    "ocp_catalog_entry",
    "openai_tool_result",
    "openai_tools",
    "tool_definitions",
]
