"""Every operation's effects: the method's, and the table's for Twilio's own operations."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import jsonschema
import pytest
import ryaml
from support.files import ROOT, SHARED_OAI

from ocp_twilio import load_tools
from ocp_twilio.specs.effects import (
    EFFECTS,
    TABLE,
    conditional_effects,
    effects_of,
    recipient_arguments,
)
from ocp_twilio.specs.model import LocalSpec, OperationSpec, ParameterSpec
from ocp_twilio.specs.names import CALL_TOOL
from ocp_twilio.specs.sources import load_operations

DOC = ROOT / "docs" / "effects.md"
# A row of the counts' table in docs/effects.md: | `effect` | always | for some values |
_COUNT_ROW = re.compile(r"^\| `([a-z-]+)` \| ([\d,]+) \| ([\d,]+) \|", re.MULTILINE)

needs_twilio_files = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)


@pytest.fixture(scope="module")
def operations() -> dict[tuple[str, str], OperationSpec]:
    return {(op.service, op.operation_id): op for op in load_operations([SHARED_OAI])}


_EXTRA = {"enum": ["contacts-person", "spends-money", "account"]}
_TABLE_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "effects": {"type": "array", "items": _EXTRA, "minItems": 1, "uniqueItems": True},
                "recipients": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "when": {
                    "type": "object",
                    "propertyNames": _EXTRA,
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "minItems": 1},
                    },
                },
            },
        },
    },
}


def test_the_table_holds_only_what_its_reader_takes() -> None:
    table = ryaml.loads(TABLE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(_TABLE_SCHEMA).validate(table)


@needs_twilio_files
def test_every_operation_of_the_table_is_one_of_twilios(
    operations: dict[tuple[str, str], OperationSpec],
) -> None:
    table = ryaml.loads(TABLE.read_text(encoding="utf-8"))
    named = {(service, op) for service, ops in table.items() for op in ops}
    assert len(named) >= 150
    assert sorted(named - operations.keys()) == []
    for key in named:
        spec = operations[key]
        arguments = {p.name for p in spec.parameters}
        assert set(recipient_arguments(spec)) <= arguments, key
        for by_argument in conditional_effects(spec).values():
            assert set(by_argument) <= arguments, key


@needs_twilio_files
def test_every_operation_has_its_methods_effect_and_no_read_does_more_than_read(
    operations: dict[tuple[str, str], OperationSpec],
) -> None:
    assert len(operations) == 1447
    for key, spec in operations.items():
        effects = effects_of(spec)
        assert effects <= set(EFFECTS), key
        if spec.method == "GET":
            # Reading an answer that holds the auth token is still an account's business.
            assert effects in ({"read"}, {"read", "account"}), key
        elif spec.method == "DELETE":
            assert {"delete"} <= effects and not effects & {"read", "write"}, key
        else:
            assert {"write"} <= effects and not effects & {"read", "delete"}, key


@needs_twilio_files
def test_the_counts_in_the_docs_are_the_tables(
    operations: dict[tuple[str, str], OperationSpec],
) -> None:
    always = Counter(e for spec in operations.values() for e in effects_of(spec))
    some = Counter(e for spec in operations.values() for e in conditional_effects(spec))
    documented = {
        effect: (int(n.replace(",", "")), int(m.replace(",", "")))
        for effect, n, m in _COUNT_ROW.findall(DOC.read_text(encoding="utf-8"))
    }
    assert documented == {e: (always[e], some[e]) for e in EFFECTS}


@needs_twilio_files
@pytest.mark.parametrize(
    ("service", "operation_id", "effects", "recipients"),
    [
        ("api_v2010", "CreateMessage", {"write", "contacts-person"}, ("To",)),
        ("api_v2010", "CreateCall", {"write", "contacts-person"}, ("To",)),
        ("api_v2010", "CreateParticipant", {"write", "contacts-person"}, ("To",)),
        ("verify_v2", "CreateVerification", {"write", "contacts-person"}, ("To",)),
        ("api_v2010", "CreateValidationRequest", {"write", "contacts-person"}, ("PhoneNumber",)),
        ("api_v2010", "CreateIncomingPhoneNumber", {"write", "spends-money"}, ()),
        ("api_v2010", "CreateNewKey", {"write", "account"}, ()),
        ("api_v2010", "CreateAccount", {"write", "account"}, ()),
        ("api_v2010", "DeleteSigningKey", {"delete", "account"}, ()),
        ("api_v2010", "FetchMessage", {"read"}, ()),
        ("api_v2010", "ListAvailablePhoneNumberLocal", {"read"}, ()),
        ("api_v2010", "DeleteMessage", {"delete"}, ()),
        ("api_v2010", "UpdatePayments", {"write"}, ()),
    ],
)
def test_what_some_operations_do(
    operations: dict[tuple[str, str], OperationSpec],
    service: str,
    operation_id: str,
    effects: set[str],
    recipients: tuple[str, ...],
) -> None:
    spec = operations[(service, operation_id)]
    assert effects_of(spec) == effects
    assert recipient_arguments(spec) == recipients


def test_completing_a_payment_may_spend_money_and_the_curated_spec_is_twilios_operation() -> None:
    curated = {tool.spec.name: tool for tool in load_tools("twilio")}
    update = curated["updatePayments"]
    assert (update.spec.service, update.spec.operation_id) == ("api_v2010", "UpdatePayments")
    assert update.effects == {"write"}
    assert conditional_effects(update.spec) == {"spends-money": {"Status": ("complete",)}}
    assert conditional_effects(curated["createPayments"].spec) == {}
    assert curated["getPaymentStatus"].effects == {"read"}


@needs_twilio_files
def test_the_curated_specs_name_operations_of_twilios_files(
    operations: dict[tuple[str, str], OperationSpec],
) -> None:
    curated = [t.spec for t in load_tools("twilio") if not isinstance(t.spec, LocalSpec)]
    assert curated and all((s.service, s.operation_id) in operations for s in curated)


# Twilio's CreateMessage as a spec of the project's format would name it.
CREATE_MESSAGE = OperationSpec(
    name="createMessage",
    method="POST",
    path="/2010-04-01/Accounts/{AccountSid}/Messages.json",
    service="api_v2010",
    operation_id="CreateMessage",
    server="https://api.twilio.com",
    body_encoding="form",
    parameters=(
        ParameterSpec(name="AccountSid", location="path", required=True),
        ParameterSpec(name="To", location="body"),
    ),
)


@pytest.mark.parametrize(
    "changes",
    [
        {"server": "https://api.example.com"},  # another host's spec
        {"service": ""},  # a registry entry's: it has no service
        {"service": "acme_v1"},
    ],
)
def test_an_operation_not_twilios_has_its_methods_effect_alone(changes: dict[str, str]) -> None:
    assert effects_of(CREATE_MESSAGE) == {"write", "contacts-person"}
    assert effects_of(dataclasses.replace(CREATE_MESSAGE, server=None)) == effects_of(
        CREATE_MESSAGE
    )
    other = dataclasses.replace(CREATE_MESSAGE, **changes)
    assert effects_of(other) == {"write"}
    assert recipient_arguments(other) == ()


def test_local_tools_read_and_the_call_tool_may_do_anything() -> None:
    assert effects_of(LocalSpec(name="getThing")) == {"read"}
    assert effects_of(LocalSpec(name=CALL_TOOL)) == set(EFFECTS)
