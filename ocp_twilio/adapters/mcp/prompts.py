"""MCP prompts that walk a model through a payment on a live call: start it, capture each field,
handle each ErrorType Twilio reports, and complete or cancel it.

The prompts name the tools as this server serves them (an API's tools may carry a prefix), and
the error advice is :func:`~ocp_twilio.payments.progress.error_sentence`'s, as the progress
tools give it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...payments.progress import ERROR_TYPES, error_sentence
from ...tools.tool import Tool

if TYPE_CHECKING:
    import mcp_types as types
    from mcp.server.context import ServerRequestContext

__all__ = ["PaymentPrompts"]

CARD_CAPTURES = ("payment-card-number", "expiration-date", "security-code", "postal-code")
BANK_CAPTURES = ("bank-routing-number", "bank-account-number")
_OPERATIONS = ("createPayments", "updatePayments", "getPaymentStatus", "waitForPaymentUpdate")


@dataclass(frozen=True)
class _Argument:
    name: str
    description: str
    required: bool = True


@dataclass(frozen=True)
class _Prompt:
    name: str
    description: str
    arguments: tuple[_Argument, ...]
    text: Callable[[Mapping[str, str], Mapping[str, str]], str]  # (arguments, tool names)


def _start(given: Mapping[str, str], tool: Mapping[str, str]) -> str:
    bank = given.get("PaymentMethod") == "ach-debit"
    captures = ", ".join(BANK_CAPTURES if bank else CARD_CAPTURES)
    amount = given.get("ChargeAmount")
    charge = (
        f"ChargeAmount={amount} and Currency={given.get('Currency', 'usd')}"
        if amount
        else "no ChargeAmount (Twilio then tokenizes the card)"
    )
    return (
        f"Take a payment on call {given['CallSid']}. The caller types every value on the "
        "keypad; you never hear or see it, and you must never ask them to say it aloud.\n"
        f"1. Call {tool['createPayments']} with CallSid={given['CallSid']}, {charge}"
        f"{', PaymentMethod=ach-debit' if bank else ''} and a new IdempotencyKey. Keep the Sid "
        "it returns (PK...).\n"
        f"2. Capture, one at a time: {captures}. For each, tell the caller what to enter, "
        f"call {tool['updatePayments']} with Capture=<field> and a new IdempotencyKey, then "
        f"{tool['waitForPaymentUpdate']} until the field is entered or an error is reported. "
        "Follow next_step in each answer.\n"
        f"3. When required is empty, call {tool['updatePayments']} with Status=complete; "
        f"{tool['waitForPaymentUpdate']} then reports the result. Tell the caller the outcome.\n"
        f"If the caller wants to stop, call {tool['updatePayments']} with Status=cancel. Never "
        "reuse an "
        "IdempotencyKey for a different step: a repeated key repeats nothing."
    )


def _capture(given: Mapping[str, str], tool: Mapping[str, str]) -> str:
    field = given["Capture"]
    return (
        f"Ask the caller to key in their {field.replace('-', ' ')} on the keypad. Then call "
        f"{tool['updatePayments']} with CallSid={given['CallSid']}, Sid={given['Sid']}, "
        f"Capture={field} and a new IdempotencyKey, and {tool['waitForPaymentUpdate']} with "
        f"Sid={given['Sid']}. While typing is true, wait again. When {field} is entered, "
        "capture the next field in required. If error is set, do what error.what_to_do says."
    )


def _error(given: Mapping[str, str], tool: Mapping[str, str]) -> str:
    error_type = given["ErrorType"]
    advice = error_sentence(error_type, given.get("Capture") or None)
    return (
        f"Twilio reported ErrorType {error_type} for this payment. {advice} Speak to the caller "
        "calmly and briefly; do not read out any digits. Capturing a field again means "
        f"{tool['updatePayments']} with the same Capture and a new IdempotencyKey, then "
        f"{tool['waitForPaymentUpdate']}. After three failures of the same field, offer to "
        "cancel (Status=cancel)."
    )


def _finish(given: Mapping[str, str], tool: Mapping[str, str]) -> str:
    status = given.get("Status", "complete")
    if status == "cancel":
        step = "Status=cancel: the session ends and nothing is charged"
    else:
        step = "Status=complete, only once required is empty (else Twilio answers 64019)"
    return (
        f"Finish payment {given['Sid']}: call {tool['updatePayments']} with "
        f"CallSid={given['CallSid']}, Sid={given['Sid']}, {step}, and a new IdempotencyKey. "
        f"Then call {tool['waitForPaymentUpdate']} until result is set and tell the caller what "
        "its next_step says: the confirmation code on success, or why it failed. A session that "
        "has a result is over; a new attempt starts with createPayments."
    )


_CALL = _Argument("CallSid", "The Sid of the live call (CA + 32 hex digits).")
_SID = _Argument("Sid", "The payment session's Sid from createPayments (PK + 32 hex digits).")
_PROMPTS = (
    _Prompt(
        "start-payment",
        "Take a card or bank payment on a live call, from start to outcome.",
        (
            _CALL,
            _Argument("ChargeAmount", "The amount to charge, e.g. 19.99; none to tokenize.", False),
            _Argument("Currency", "ISO 4217 code of the amount, e.g. usd.", False),
            _Argument("PaymentMethod", "credit-card (the default) or ach-debit.", False),
        ),
        _start,
    ),
    _Prompt(
        "capture-payment-field",
        "Capture one field of a payment: " + ", ".join(CARD_CAPTURES + BANK_CAPTURES) + ".",
        (_CALL, _SID, _Argument("Capture", "The field to capture, e.g. payment-card-number.")),
        _capture,
    ),
    _Prompt(
        "handle-payment-error",
        "What to do about an ErrorType Twilio reported: " + ", ".join(ERROR_TYPES) + ".",
        (
            _Argument("ErrorType", "The error.type of the payment's progress."),
            _Argument("Capture", "The field that was being captured.", False),
        ),
        _error,
    ),
    _Prompt(
        "finish-payment",
        "Complete a payment whose fields are all entered, or cancel it.",
        (_CALL, _SID, _Argument("Status", "complete (the default) or cancel.", False)),
        _finish,
    ),
)


class PaymentPrompts:
    """The prompts/list and prompts/get handlers, naming the tools as served."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        served = {tool.spec.name: tool.name for tool in tools}
        self._tool_names = {name: served.get(name, name) for name in _OPERATIONS}
        self._prompts = {prompt.name: prompt for prompt in _PROMPTS}

    def handlers(self) -> dict[str, Any]:
        return {"on_list_prompts": self.list_prompts, "on_get_prompt": self.get_prompt}

    async def list_prompts(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        import mcp_types as types

        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=prompt.name,
                    description=prompt.description,
                    arguments=[
                        types.PromptArgument(
                            name=a.name, description=a.description, required=a.required
                        )
                        for a in prompt.arguments
                    ],
                )
                for prompt in _PROMPTS
            ]
        )

    async def get_prompt(
        self, ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        import mcp_types as types
        from mcp.shared.exceptions import MCPError

        prompt = self._prompts.get(params.name)
        if prompt is None:
            raise MCPError(
                types.INVALID_PARAMS,
                f"No prompt named {params.name[:80]!r}; the prompts are: "
                + ", ".join(self._prompts)
                + ".",
            )
        given = dict(params.arguments or {})
        missing = [a.name for a in prompt.arguments if a.required and not given.get(a.name)]
        if missing:
            raise MCPError(
                types.INVALID_PARAMS,
                f"The prompt {prompt.name} needs the argument(s) {', '.join(missing)}.",
            )
        text = prompt.text(given, self._tool_names)
        message = types.PromptMessage(role="user", content=types.TextContent(text=text))
        return types.GetPromptResult(description=prompt.description, messages=[message])
