"""What the adapters use of an agent, so that they need not know :class:`OCPAgent` (which
imports them only inside ``tools_for``): OCPAgent is one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from .payments.receiver import StatusCallbackReceiver
from .payments.stores import ProgressStore
from .policy.approval import ApprovalRequest, Approver
from .policy.rules import Policy
from .tools.offer import Offer
from .tools.tool import Tool

__all__ = ["ToolCaller"]


class ToolCaller(Protocol):
    """An agent as the adapters see it: its tools, its offers, its calls and its receiver."""

    @property
    def receiver(self) -> StatusCallbackReceiver | None:
        """The StatusCallback receiver whose store the payment progress is read from."""
        ...

    @property
    def progress_store(self) -> ProgressStore | None:
        """The store the progress tools read where no receiver runs here (a shared one that
        receivers elsewhere fill), else None."""
        ...

    @property
    def approver(self) -> Approver | None:
        """The operator's approver, for an adapter that cannot ask through its framework."""
        ...

    @property
    def policy(self) -> Policy | None:
        """The operator's policy in force (None: every tool runs as called)."""
        ...

    @property
    def result_tokens(self) -> int:
        """The tokens a model reads of one result at most (the adapters size it)."""
        ...

    def list_tools(self, api: str | None = None) -> list[Tool]: ...

    def model_tools(self, api: str | None = None) -> list[Tool]:
        """The tools a model may be offered: those the operator's policy does not always
        refuse."""
        ...

    def offers(self, tool: Tool) -> bool:
        """Whether a model may be offered ``tool``: the operator's policy does not always
        refuse it."""
        ...

    def offer_for(self, framework: str) -> Offer: ...

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        api: str | None = None,
        timeout: float | None = None,
        tool_call_id: str | None = None,
        approver: Approver | None = None,
    ) -> Any: ...

    def approval_request(
        self, name: str, arguments: Mapping[str, Any] | None, *, api: str | None = None
    ) -> ApprovalRequest | None: ...
