"""Inbound messages, kept per conversation: the pair of the sender's number and the account's.

A conversation's resource id is :func:`conversation_id` of the two numbers, so that a wait for
a reply from one person to one number reads that conversation's messages and no other's. Each
inbound message is one event; the conversation keeps the last :data:`KEPT_MESSAGES`, each with
its place in arrival order (its ``index``), which a wait for the next reply starts after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "KEPT_MESSAGES",
    "REPLY",
    "Conversation",
    "apply_reply",
    "conversation_id",
    "is_address",
]

REPLY = "reply"
KEPT_MESSAGES = 50
_PREFIX = "CV:"
# A phone number, a channel address (whatsapp:+1..., messenger:123) or a client name: no
# character that could reach into a store key's structure.
_ADDRESS = re.compile(r"[A-Za-z0-9+:@._-]{1,100}")
_SHOWN = {
    "Body": "body",
    "MessageSid": "sid",
    "NumMedia": "media_count",
}


def is_address(text: str) -> bool:
    return _ADDRESS.fullmatch(text) is not None


def conversation_id(person: str, number: str) -> str:
    """The id of the messages ``person`` sends to ``number`` (the account's), as stored."""
    return f"{_PREFIX}{_normal(person)}>{_normal(number)}"


@dataclass(frozen=True)
class Conversation:
    """The inbound messages of one conversation, the newest last, each as (index, fields)."""

    sid: str
    version: int = 0
    messages: tuple[tuple[int, Mapping[str, str]], ...] = ()

    def after(self, index: int) -> list[tuple[int, Mapping[str, str]]]:
        return [(i, fields) for i, fields in self.messages if i > index]

    def for_model(self) -> dict[str, Any]:
        """The conversation as a status read shows it: the last message."""
        view: dict[str, Any] = {"conversation": self.sid, "version": self.version}
        if self.messages:
            view["last"] = message_view(*self.messages[-1])
        return view


def message_view(index: int, fields: Mapping[str, str]) -> dict[str, Any]:
    view: dict[str, Any] = {"index": index}
    view.update((shown, fields[name]) for name, shown in _SHOWN.items() if name in fields)
    media = [fields[f"MediaUrl{i}"] for i in range(10) if f"MediaUrl{i}" in fields]
    if media:
        view["media_urls"] = media
    return view


def apply_reply(state: Conversation, fields: Mapping[str, str]) -> Conversation:
    """``state`` with one more inbound message."""
    version = state.version + 1
    messages = (*state.messages, (version, dict(fields)))[-KEPT_MESSAGES:]
    return Conversation(state.sid, version, messages)


def _normal(address: str) -> str:
    """An address as Twilio writes it and a model may: case and spaces aside."""
    text = address.strip().lower()
    return re.sub(r"[\s().-]", "", text) if text.startswith("+") else text
