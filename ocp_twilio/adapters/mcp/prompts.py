"""MCP prompts that walk a model through a payment on a live call: start it, capture each field,
handle each ErrorType Twilio reports, and complete or cancel it.

The prompts name the tools as this server serves them (an API's tools may carry a prefix), and
only those: a prompt whose Pay operations are not served is not listed, and where no progress
tool is served (no receiver runs) the prompts do without it. Where the model gives StatusCallback
(no receiver of this server owns it), they say so. The error advice is
:func:`~ocp_twilio.payments.progress.error_sentence`'s, as the progress tools give it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...payments.progress import ERROR_TYPES, error_sentence
from ...tools.encoding import STATUS_CALLBACK
from ...tools.tool import Tool

if TYPE_CHECKING:
    import mcp_types as types
    from mcp.server.context import ServerRequestContext

__all__ = ["PaymentPrompts"]

CARD_CAPTURES = ("payment-card-number", "expiration-date", "security-code", "postal-code")
BANK_CAPTURES = ("bank-routing-number", "bank-account-number")
_CREATE, _UPDATE, _WAIT = "createPayments", "updatePayments", "waitForPaymentUpdate"
# How the model learns that a field was keyed in where it cannot wait for the progress.
_ASK = (
    "ask the caller to tell you when they have finished (this server receives none of Twilio's "
    "progress reports)"
)


@dataclass(frozen=True)
class _Argument:
    name: str
    description: str
    required: bool = True


@dataclass(frozen=True)
class _Served:
    """What a prompt may name: the served tools by operation, whether the progress can be
    waited for, and whether the model gives StatusCallback."""

    tool: Mapping[str, str]
    waits: bool
    gives_callback: bool

    @property
    def callback(self) -> str:
        """The StatusCallback argument of a Pay call, where the model gives it."""
        return ", StatusCallback=<your callback URL>" if self.gives_callback else ""

    @property
    def callback_note(self) -> str:
        """What that URL is, said once a prompt."""
        if not self.gives_callback:
            return ""
        return (
            "\nYour callback URL: the https URL where the operator's application receives "
            "Twilio's payment callbacks, the one you were given (Twilio requires it); never "
            "invent one."
        )

    @property
    def all_entered(self) -> str:
        return "required is empty" if self.waits else "every field is entered"


@dataclass(frozen=True)
class _Prompt:
    name: str
    description: str
    arguments: tuple[_Argument, ...]
    needs: tuple[str, ...]  # the Pay operations it names, which must be served
    text: Callable[[Mapping[str, str], _Served], str]


def _start(given: Mapping[str, str], served: _Served) -> str:
    bank = given.get("PaymentMethod") == "ach-debit"
    captures = ", ".join(BANK_CAPTURES if bank else CARD_CAPTURES)
    amount = given.get("ChargeAmount")
    charge = (
        f"ChargeAmount={amount} and Currency={given.get('Currency', 'usd')}"
        if amount
        else "no ChargeAmount (Twilio then tokenizes the card)"
    )
    update = served.tool[_UPDATE]
    entered = (
        f"{served.tool[_WAIT]} until the field is entered or an error is reported. Follow "
        "next_step in each answer."
        if served.waits
        else f"{_ASK}."
    )
    outcome = (
        f"{served.tool[_WAIT]} then reports the result. Tell the caller the outcome."
        if served.waits
        else "the result goes to the StatusCallback URL, which this server does not read: tell "
        "the caller the payment was submitted."
    )
    return (
        f"Take a payment on call {given['CallSid']}. The caller types every value on the "
        "keypad; you never hear or see it, and you must never ask them to say it aloud.\n"
        f"1. Call {served.tool[_CREATE]} with CallSid={given['CallSid']}, {charge}"
        f"{', PaymentMethod=ach-debit' if bank else ''}{served.callback} and a new "
        "IdempotencyKey. Keep the Sid it returns (PK...).\n"
        f"2. Capture, one at a time: {captures}. For each, tell the caller what to enter, "
        f"call {update} with Capture=<field>{served.callback} and a new IdempotencyKey, then "
        f"{entered}\n"
        f"3. When {served.all_entered}, call {update} with Status=complete; {outcome}\n"
        f"If the caller wants to stop, call {update} with Status=cancel. Never reuse an "
        "IdempotencyKey for a different step: a repeated key repeats nothing."
        f"{served.callback_note}"
    )


def _capture(given: Mapping[str, str], served: _Served) -> str:
    field = given["Capture"]
    then = (
        f"{served.tool[_WAIT]} with Sid={given['Sid']}. While typing is true, wait again. When "
        f"{field} is entered, capture the next field in required. If error is set, do what "
        "error.what_to_do says."
        if served.waits
        else f"{_ASK}; then capture the next field."
    )
    return (
        f"Ask the caller to key in their {field.replace('-', ' ')} on the keypad. Then call "
        f"{served.tool[_UPDATE]} with CallSid={given['CallSid']}, Sid={given['Sid']}, "
        f"Capture={field}{served.callback} and a new IdempotencyKey, and {then}"
        f"{served.callback_note}"
    )


def _error(given: Mapping[str, str], served: _Served) -> str:
    error_type = given["ErrorType"]
    advice = error_sentence(error_type, given.get("Capture") or None)
    wait = f", then {served.tool[_WAIT]}" if served.waits else ""
    return (
        f"Twilio reported ErrorType {error_type} for this payment. {advice} Speak to the caller "
        "calmly and briefly; do not read out any digits. Capturing a field again means "
        f"{served.tool[_UPDATE]} with the same Capture{served.callback} and a new "
        f"IdempotencyKey{wait}. After three failures of the same field, offer to cancel "
        f"(Status=cancel).{served.callback_note}"
    )


def _finish(given: Mapping[str, str], served: _Served) -> str:
    status = given.get("Status", "complete")
    if status == "cancel":
        step = "Status=cancel: the session ends and nothing is charged"
    else:
        step = f"Status=complete, only once {served.all_entered} (else Twilio answers 64019)"
    outcome = (
        f"Then call {served.tool[_WAIT]} until result is set and tell the caller what its "
        "next_step says: the confirmation code on success, or why it failed."
        if served.waits
        else "The result goes to the StatusCallback URL, which this server does not read: tell "
        "the caller the payment was submitted."
    )
    return (
        f"Finish payment {given['Sid']}: call {served.tool[_UPDATE]} with "
        f"CallSid={given['CallSid']}, Sid={given['Sid']}, {step}{served.callback}, and a new "
        f"IdempotencyKey. {outcome} A session that has a result is over; a new attempt starts "
        f"with {served.tool[_CREATE]}.{served.callback_note}"
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
        (_CREATE, _UPDATE),
        _start,
    ),
    _Prompt(
        "capture-payment-field",
        "Capture one field of a payment: " + ", ".join(CARD_CAPTURES + BANK_CAPTURES) + ".",
        (_CALL, _SID, _Argument("Capture", "The field to capture, e.g. payment-card-number.")),
        (_UPDATE,),
        _capture,
    ),
    _Prompt(
        "handle-payment-error",
        "What to do about an ErrorType Twilio reported: " + ", ".join(ERROR_TYPES) + ".",
        (
            _Argument("ErrorType", "The error.type of the payment's progress."),
            _Argument("Capture", "The field that was being captured.", False),
        ),
        (_UPDATE,),
        _error,
    ),
    _Prompt(
        "finish-payment",
        "Complete a payment whose fields are all entered, or cancel it.",
        (_CALL, _SID, _Argument("Status", "complete (the default) or cancel.", False)),
        (_CREATE, _UPDATE),
        _finish,
    ),
)


class PaymentPrompts:
    """The prompts/list and prompts/get handlers over the served ``tools``: the prompts whose
    Pay operations are among them, naming them as served."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        by_operation = {tool.spec.name: tool for tool in tools}
        create = by_operation.get(_CREATE)
        self._served = _Served(
            tool={name: tool.name for name, tool in by_operation.items()},
            waits=_WAIT in by_operation,
            gives_callback=create is not None
            and create.takes_status_callback
            and STATUS_CALLBACK not in create.pinned,
        )
        self._prompts = {
            prompt.name: prompt
            for prompt in _PROMPTS
            if all(name in by_operation for name in prompt.needs)
        }

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
                for prompt in self._prompts.values()
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
                + (", ".join(self._prompts) or "none (no Pay operation is served)")
                + ".",
            )
        given = dict(params.arguments or {})
        missing = [a.name for a in prompt.arguments if a.required and not given.get(a.name)]
        if missing:
            raise MCPError(
                types.INVALID_PARAMS,
                f"The prompt {prompt.name} needs the argument(s) {', '.join(missing)}.",
            )
        text = prompt.text(given, self._served)
        message = types.PromptMessage(role="user", content=types.TextContent(text=text))
        return types.GetPromptResult(description=prompt.description, messages=[message])
