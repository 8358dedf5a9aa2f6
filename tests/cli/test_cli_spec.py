"""``ocp-twilio tools``, ``describe`` and ``call`` with --spec: the rest of Twilio from its OpenAPI
files, the curated Pay tools kept among them, and the way to them where they are missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from support.cli import assert_failed, run
from support.credentials import ACCOUNT_SID, AUTH_TOKEN
from support.files import DATA, SHARED_OAI
from support.payments import UPDATE_TOOL, update_arguments
from support.sandbox import CALLBACK, sandbox_in_thread
from support.servers import served_in_a_thread
from support.specs import IMPORTED_PAYMENTS

from ocp_twilio.cli.failures import ExitCode
from ocp_twilio.registration.apis import load_tools
from ocp_twilio.sandbox import Sandbox
from ocp_twilio.specs.sources import synced_specs_dir

FIXTURES = DATA / "openapi"
needs_twilio_oai = pytest.mark.skipif(
    not SHARED_OAI.is_dir(), reason=f"Twilio's OpenAPI files are not at {SHARED_OAI}"
)
MESSAGE = {"sid": "SM" + "0" * 32, "status": "queued", "body": "Your order shipped"}


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[Sandbox]:
    with sandbox_in_thread() as sandbox:
        yield sandbox


def test_tools_and_describe_read_the_spec() -> None:
    listed = run("tools", "--spec", str(FIXTURES), "--json")
    assert listed.exit_code == 0, listed.output
    assert [t["name"] for t in json.loads(listed.stdout)] == [
        t.name for t in load_tools("twilio", FIXTURES)
    ]
    described = run("describe", "createWidget", "--spec", str(FIXTURES))
    assert described.exit_code == 0, described.output
    assert "Color (required): one of red, green" in described.stdout
    # The example call names the spec too: without it, the tool is not found.
    example = described.stdout.strip().splitlines()[-1]
    assert example.startswith(f"ocp-twilio call fixture_v1__createWidget --spec {FIXTURES} --json")


@pytest.mark.parametrize("command", [["describe"], ["call", "--json", "{}"]])
def test_a_name_not_installed_says_how_to_reach_the_rest_of_twilio(command: list[str]) -> None:
    result = run(command[0], "createIncomingPhoneNumber", *command[1:])
    assert_failed(
        result,
        ExitCode.BAD_INPUT,
        "No tool named 'createIncomingPhoneNumber'.",
        "run `ocp-twilio sync` once",
        "finds them without --spec",
        "or pass --spec with a folder of Twilio's OpenAPI files",
    )


def test_once_synced_the_commands_find_twilios_operations_without_a_spec() -> None:
    synced = synced_specs_dir()
    synced.mkdir(parents=True)
    (synced / "twilio_api_v2010.json").write_text(json.dumps(IMPORTED_PAYMENTS))
    assert run("describe", "fetchPayments").exit_code == 0  # what the advice above promises
    result = run("describe", "createIncomingPhoneNumber")
    assert_failed(result, ExitCode.BAD_INPUT, "No tool named 'createIncomingPhoneNumber'.")
    assert "sync" not in result.stderr  # done already: nothing to advise


def test_a_spec_that_does_not_load_is_named(tmp_path_factory: pytest.TempPathFactory) -> None:
    broken = tmp_path_factory.mktemp("specs") / "twilio_broken_v1.json"
    broken.write_text("{not json")
    for command in (["tools"], ["describe", "createWidget"], ["call", "createWidget"]):
        assert_failed(
            run(*command, "--spec", str(broken)), ExitCode.CONFIGURATION, "twilio_broken_v1.json"
        )


@needs_twilio_oai
def test_call_sends_one_of_twilios_imported_operations() -> None:
    received: list[tuple[str, str, list[tuple[str, str]]]] = []

    async def answer(request: web.Request) -> web.Response:
        form = parse_qsl((await request.read()).decode())
        received.append((request.method, request.path, form))
        return web.json_response(MESSAGE, status=201)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    arguments = {"To": "+15005550006", "From": "+15005550001", "Body": MESSAGE["body"]}
    with served_in_a_thread(app) as url:
        env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
        result = run(
            "call", "api_v2010__createMessage", "--spec", str(SHARED_OAI), "--base-url", url,
            "--json", json.dumps(arguments),
            env=env,
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == MESSAGE
    [(method, path, form)] = received
    assert (method, path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert dict(form) == arguments


@needs_twilio_oai
def test_call_with_twilios_files_keeps_the_curated_pay_tools(running_sandbox: Sandbox) -> None:
    spec = ("--spec", str(SHARED_OAI))
    received = running_sandbox.state.requests_received
    both = update_arguments(Capture="payment-card-number", Status="complete")
    refused = run(
        "call", UPDATE_TOOL, *spec, "--json", json.dumps(both), env=running_sandbox.environ()
    )
    assert_failed(refused, ExitCode.BAD_INPUT, "exactly one of Capture or Status")
    assert running_sandbox.state.requests_received == received  # nothing sent

    call_sid = running_sandbox.start_call()
    arguments = {"CallSid": call_sid, "IdempotencyKey": "cli-spec-1", "StatusCallback": CALLBACK}
    started = run(
        "call", "createPayments", *spec, "--json", json.dumps(arguments),
        env=running_sandbox.environ(),
    )  # fmt: skip
    assert started.exit_code == 0, started.output
    assert running_sandbox.payment(json.loads(started.stdout)["sid"]).call_sid == call_sid
