"""Bad input: InvalidArguments naming each argument and what to change, and nothing is sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.credentials import ACCOUNT_SID
from support.payments import CALL_SID, PAYMENT_SID, QUALIFIED, create_arguments, update_arguments
from support.servers import RecordingServer
from support.wire import Wire

from ocp_twilio import InvalidArguments, OCPAgent

HEX32 = "0123456789abcdef" * 2
VALID_PATH_VALUES = {"AccountSid": ACCOUNT_SID, "CallSid": CALL_SID, "Sid": PAYMENT_SID}
PATH_PARAMETERS = {
    "createPayments": ("AccountSid", "CallSid"),
    "updatePayments": ("AccountSid", "CallSid", "Sid"),
}
PATH_TRICKS = ("../", "%2F", "?", "#", "\n")


def arguments_for(tool: str, **overrides: Any) -> dict[str, Any]:
    build = create_arguments if tool == "createPayments" else update_arguments
    return build(**overrides)


async def rejected(
    agent: OCPAgent, tool: str, arguments: Any, server: RecordingServer
) -> InvalidArguments:
    """Call, expect InvalidArguments, and check that the server saw nothing."""
    with pytest.raises(InvalidArguments) as caught:
        await agent.call_tool(tool, arguments)
    assert server.requests == []
    assert caught.value.tool == QUALIFIED[tool]
    assert caught.value.errors, "InvalidArguments must carry at least one error"
    return caught.value


def messages_at(error: InvalidArguments, *path: str) -> list[str]:
    return [e.message for e in error.errors if e.path == path]


def tricked_values() -> Iterator[tuple[str, str, str]]:
    """(tool, parameter, value): each trick in every path parameter, in place and appended."""
    for tool, parameters in PATH_PARAMETERS.items():
        for parameter in parameters:
            valid = VALID_PATH_VALUES[parameter]
            for trick in PATH_TRICKS:
                # Same length as a valid SID, so only the pattern can catch it ...
                yield tool, parameter, valid[: -len(trick)] + trick
                # ... and a valid SID with the trick after it (a trailing newline slips past "$").
                yield tool, parameter, valid + trick
            yield tool, parameter, "../../Accounts/" + valid


@pytest.mark.parametrize(("tool", "parameter", "value"), list(tricked_values()))
async def test_path_tricks_are_rejected_in_every_path_parameter(
    agent: OCPAgent, recording_server: RecordingServer, tool: str, parameter: str, value: str
) -> None:
    error = await rejected(agent, tool, arguments_for(tool, **{parameter: value}), recording_server)

    assert {e.path for e in error.errors} == {(parameter,)}
    assert all("pattern" in m or "characters long" in m for m in messages_at(error, parameter))


@pytest.mark.parametrize(
    ("tool", "parameter", "value", "expected"),
    [
        ("updatePayments", "CallSid", "CA123", "^CA[0-9a-fA-F]{32}$"),
        ("updatePayments", "CallSid", "PK" + HEX32, "^CA[0-9a-fA-F]{32}$"),
        ("updatePayments", "Sid", "AC" + HEX32, "^PK[0-9a-fA-F]{32}$"),
        ("updatePayments", "Sid", "PK" + "g" * 32, "^PK[0-9a-fA-F]{32}$"),
        ("updatePayments", "AccountSid", "CA" + HEX32, "^AC[0-9a-fA-F]{32}$"),
        ("createPayments", "CallSid", "ca" + HEX32, "^CA[0-9a-fA-F]{32}$"),
        ("createPayments", "AccountSid", "", "at least 34"),
    ],
)
async def test_wrong_sid_patterns(
    agent: OCPAgent,
    recording_server: RecordingServer,
    tool: str,
    parameter: str,
    value: str,
    expected: str,
) -> None:
    error = await rejected(agent, tool, arguments_for(tool, **{parameter: value}), recording_server)

    assert any(expected in m for m in messages_at(error, parameter))


@pytest.mark.parametrize(
    ("tool", "missing"),
    [
        ("updatePayments", "StatusCallback"),
        ("updatePayments", "CallSid"),
        ("updatePayments", "Sid"),
        ("createPayments", "StatusCallback"),
        ("createPayments", "CallSid"),
    ],
)
async def test_missing_required_argument(
    agent: OCPAgent, recording_server: RecordingServer, tool: str, missing: str
) -> None:
    error = await rejected(agent, tool, arguments_for(tool, **{missing: None}), recording_server)

    assert messages_at(error, missing) == ["is required but missing"]


async def test_every_problem_is_reported_at_once(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    arguments = {"CallSid": "CA1", "Capture": "pin", "Bogus": 1}

    error = await rejected(agent, "updatePayments", arguments, recording_server)

    paths = {e.path for e in error.errors}
    assert paths == {
        ("Sid",),
        ("StatusCallback",),
        ("CallSid",),
        ("Capture",),
        ("Bogus",),
    }
    text = str(error)
    assert "nothing was sent" in text
    assert all(str(e) in text for e in error.errors)


async def test_account_sid_is_not_required(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    # It defaults to the credentials' account; an empty call must not ask for it.
    error = await rejected(agent, "updatePayments", {}, recording_server)

    assert ("AccountSid",) not in {e.path for e in error.errors}


@pytest.mark.parametrize(
    ("capture", "status", "state"),
    [(None, None, "none was given"), ("security-code", "complete", "were both given")],
)
async def test_exactly_one_of_capture_and_status(
    agent: OCPAgent,
    recording_server: RecordingServer,
    capture: str | None,
    status: str | None,
    state: str,
) -> None:
    arguments = update_arguments(Capture=capture, Status=status)
    if capture is None:
        arguments.pop("Capture", None)

    error = await rejected(agent, "updatePayments", arguments, recording_server)

    [problem] = error.errors
    assert problem.path == ()
    assert "exactly one of Capture or Status" in problem.message
    assert state in problem.message


@pytest.mark.parametrize("unknown", ["Bogus", "capture", "AccountSID", "Amount"])
async def test_unknown_arguments_are_rejected(
    agent: OCPAgent, recording_server: RecordingServer, unknown: str
) -> None:
    error = await rejected(
        agent, "updatePayments", update_arguments(**{unknown: "x"}), recording_server
    )

    [message] = messages_at(error, unknown)
    assert "is not an accepted argument" in message
    assert "Capture" in message and "IdempotencyKey" in message  # the allowed names are listed


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("ChargeAmount", "12.00", "must be a JSON number, not a string: write it without quotes"),
        ("ChargeAmount", -1, "at least 0"),
        ("ChargeAmount", 1_000_000, "less than 1000000"),
        ("PostalCode", "true", "must be of type boolean, not string"),
        ("SecurityCode", 1, "must be of type boolean, not integer"),
        ("MinPostalCodeLength", 5.5, "must be of type integer, not number"),
        ("Timeout", True, "must be of type integer, not boolean"),
        ("Timeout", 601, "at most 600"),
        ("Parameter", '{"a": 1}', "must be of type object, not string"),
        ("IdempotencyKey", 42, "must be of type string, not integer"),
        ("IdempotencyKey", "", "at least 1 characters"),
        ("PaymentMethod", "cash", "credit-card, ach-debit"),
        ("Confirmation", True, "must be of type string, not boolean"),
    ],
)
async def test_wrong_types_and_values_in_create(
    agent: OCPAgent,
    recording_server: RecordingServer,
    argument: str,
    value: Any,
    expected: str,
) -> None:
    error = await rejected(
        agent, "createPayments", create_arguments(**{argument: value}), recording_server
    )

    assert any(expected in m for m in messages_at(error, argument))


@pytest.mark.parametrize("value", ["card-number", "PAYMENT-CARD-NUMBER", "", 3, None])
async def test_capture_outside_its_enum(
    agent: OCPAgent, recording_server: RecordingServer, value: Any
) -> None:
    arguments = update_arguments()
    arguments["Capture"] = value

    error = await rejected(agent, "updatePayments", arguments, recording_server)

    messages = messages_at(error, "Capture")
    assert any("must be one of: payment-card-number, expiration-date" in m for m in messages)


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "example.com/pay-status",
        "/pay-status",
        "https://",
        "https://exa mple.com/pay",
        "https://example.com/pay\n",
        "",
    ],
)
async def test_bad_status_callback(
    agent: OCPAgent, recording_server: RecordingServer, url: str
) -> None:
    error = await rejected(
        agent, "updatePayments", update_arguments(StatusCallback=url), recording_server
    )

    [message] = messages_at(error, "StatusCallback")
    assert message.startswith("must be a valid http-url")
    assert "https://example.com/path" in message


@pytest.mark.parametrize("arguments", [["CallSid"], [], "CallSid=CA1", 42, ("a", "b")])
async def test_arguments_that_are_not_an_object(
    agent: OCPAgent, recording_server: RecordingServer, arguments: Any
) -> None:
    error = await rejected(agent, "updatePayments", arguments, recording_server)

    [problem] = error.errors
    assert problem.path == ()
    assert "must be a JSON object" in problem.message


async def test_messages_never_echo_the_rejected_value(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    # A value may be card data typed into the wrong field: the error must not repeat it.
    card = "4111111111111111"
    arguments = update_arguments(Capture=card, IdempotencyKey=int(card), Bogus=card)
    error = await rejected(agent, "updatePayments", arguments, recording_server)

    assert card not in str(error)
    assert card not in repr(error.errors)


async def test_nothing_reaches_the_transport_either(wire: Wire, wire_agent: OCPAgent) -> None:
    with pytest.raises(InvalidArguments):
        await wire_agent.call_tool("updatePayments", update_arguments(Sid="PK../"))

    assert wire.transport.requests == []


@pytest.mark.parametrize(
    ("argument", "value", "path"),
    [
        ("ChargeAmount", float("nan"), ("ChargeAmount",)),
        ("ChargeAmount", float("-inf"), ("ChargeAmount",)),
        ("Parameter", {"limit": float("nan")}, ("Parameter", "limit")),
    ],
)
async def test_non_finite_numbers_are_rejected(
    agent: OCPAgent, recording_server: RecordingServer, argument: str, value: Any, path: tuple[str]
) -> None:
    # NaN passes every JSON Schema bound; it must not go out as the text "NaN".
    error = await rejected(
        agent, "createPayments", create_arguments(**{argument: value}), recording_server
    )

    assert "must be a finite number, not NaN or Infinity" in messages_at(error, *path)


async def test_argument_names_that_are_not_strings(
    agent: OCPAgent, recording_server: RecordingServer
) -> None:
    arguments: dict[Any, Any] = {**update_arguments(), 1: "x", ("a",): "y", "Bogus": "z"}

    error = await rejected(agent, "updatePayments", arguments, recording_server)

    assert {e.path for e in error.errors} == {(1,), (("a",),), ("Bogus",)}
