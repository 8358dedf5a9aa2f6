"""Registry entries: what one may hold (a registry file's, and a registry URL's), and its
``auth_config`` read as an :class:`AuthConfig`.

An entry's ``x-ocp-twilio`` object carries what OCP's registry cannot: per tool, what the OCP
tool cannot say (``tool_format``); and, in a registry file only, ``auth_env``, the variables
that hold the credentials (never TWILIO_* or OCP_* ones). A registry URL's entry never chooses
which of the user's variables are read, so its ``auth_env`` is not read at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jsonschema

from ..specs.documents import read_document
from ..specs.model import check_document
from .tool_format import TOOL_EXTENSION_SCHEMA

__all__ = [
    "EXTENSION",
    "AuthConfig",
    "AuthType",
    "auth_type",
    "check_remote_entry",
    "entry_auth",
    "read_registry_file",
]

# An entry's object of what OCP's tool definition cannot carry; other clients ignore it.
EXTENSION = "x-ocp-twilio"

AuthType = Literal["none", "basic", "bearer", "api_key"]
_AUTH_TYPES: dict[str, AuthType] = {
    "none": "none",
    "basic": "basic",
    "http_basic": "basic",
    "bearer": "bearer",
    "bearer_token": "bearer",
    "api_key": "api_key",
}


@dataclass(frozen=True)
class AuthConfig:
    """How a registry entry's API takes credentials, and (a registry file's entry only) the
    variables that hold them."""

    type: AuthType = "basic"
    header_name: str | None = None
    # "username", "password", "token" or "key" -> the name of an environment variable.
    env: Mapping[str, str] = field(default_factory=dict)
    # An entry from a registry URL named variables (auth_env), which were not read.
    unread_env: bool = False


def read_registry_file(path: Path) -> dict[str, Any]:
    """The entries of a registry file, by name, each checked."""
    document = read_document(path, "registry file")
    check_document(_FILE_VALIDATOR, document, f"Registry file {path}")
    return dict(document["apis"])


def check_remote_entry(entry: Any, url: str) -> None:
    """SpecError naming what to change unless ``entry`` is what a registry URL may answer."""
    check_document(_REMOTE_VALIDATOR, entry, f"Registry entry {url}")


def entry_auth(entry: Mapping[str, Any], *, from_url: bool) -> AuthConfig:
    """The entry's auth; the variables it names only where the user chose the file.

    A registry URL's entry could name ANTHROPIC_API_KEY as its token and receive it with the
    first call, so its auth_env is never read: the user passes credentials to register_api."""
    extension = entry.get(EXTENSION, {})
    header_name = (entry.get("auth_config") or {}).get("header_name")
    if from_url:  # its auth_env was not checked either: only whether there is one matters
        return AuthConfig(auth_type(entry), header_name, unread_env="auth_env" in extension)
    return AuthConfig(auth_type(entry), header_name, env=dict(extension.get("auth_env", {})))


def auth_type(entry: Mapping[str, Any]) -> AuthType:
    """The entry's auth type, its aliases (http_basic, bearer_token) read; without one, basic."""
    return _AUTH_TYPES[(entry.get("auth_config") or {}).get("type", "basic")]


_URL = {"type": "string", "pattern": "^https?://"}
_TOOLS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "method", "path"],
        "properties": {"parameters": {"type": "object"}},
    },
}
# RFC 9110's token: what a header name may be.
_HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$"
_AUTH_CONFIG = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": sorted(_AUTH_TYPES)},
        "header_name": {"type": ["string", "null"], "pattern": _HEADER_NAME},
    },
    "if": {"properties": {"type": {"const": "api_key"}}},
    "then": {"required": ["header_name"], "properties": {"header_name": {"type": "string"}}},
}
# The variables an entry may name: never the library's own (Twilio's secrets, the registry).
_VARIABLE = {
    "type": "string",
    "pattern": "^[A-Z][A-Z0-9_]{0,63}$",
    "not": {"pattern": "^(TWILIO|OCP)_"},
}
_TOOLS_EXTENSION = {"type": "object", "additionalProperties": TOOL_EXTENSION_SCHEMA}
# A registry file's extension; a registry URL's has the same tools, and its auth_env is not read.
_FILE_EXTENSION = {
    "type": "object",
    "properties": {
        "auth_env": {
            "type": "object",
            "propertyNames": {"enum": ["username", "password", "token", "key"]},
            "additionalProperties": _VARIABLE,
        },
        "tools": _TOOLS_EXTENSION,
    },
}
_REMOTE_EXTENSION = {"type": "object", "properties": {"tools": _TOOLS_EXTENSION}}
_ENTRY_PROPERTIES = {
    "description": {"type": "string"},
    "base_url": _URL,
    "spec": {"type": "string"},
    "tools": _TOOLS,
    "ocp_headers": {"type": "boolean"},
    "auth_config": _AUTH_CONFIG,
}
_FILE_SCHEMA = {
    "type": "object",
    "required": ["apis"],
    "properties": {
        "apis": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {**_ENTRY_PROPERTIES, EXTENSION: _FILE_EXTENSION},
                "oneOf": [
                    {"required": ["spec"]},
                    {"required": ["tools", "base_url"]},
                ],
            },
        }
    },
}
# A remote entry carries OCP's registry fields besides these, which are ignored.
_REMOTE_SCHEMA = {
    "type": "object",
    "required": ["base_url", "tools"],
    "properties": {**_ENTRY_PROPERTIES, EXTENSION: _REMOTE_EXTENSION},
    "not": {"required": ["spec"]},
}
_FILE_VALIDATOR = jsonschema.Draft202012Validator(_FILE_SCHEMA)
_REMOTE_VALIDATOR = jsonschema.Draft202012Validator(_REMOTE_SCHEMA)
