"""The command's rough edges found in use: the tools table fits the terminal, options that would
do nothing are refused, as are repeated arguments and a zero timeout; sync says it wants a URL;
mcp without its extra says how to install it; a link in an error text stands apart."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import assert_failed, run
from support.sandbox import CALLBACK, UNKNOWN_CALL, sandbox_in_thread

from ocp_twilio.cli.failures import ExitCode
from ocp_twilio.cli.known_tools import known_tools

LINK = re.compile(r"https?://\S+")


@pytest.mark.parametrize("columns", [60, 80, 132, 200])
def test_tools_fits_the_terminal_width(columns: int) -> None:
    result = run("tools", env={"COLUMNS": str(columns)})

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    names = [line.split()[0] for line in lines[1:]]
    assert names == [tool.name for tool in known_tools().tools()]  # never cut


def test_tools_uses_the_width_it_is_given() -> None:
    wide = run("tools", env={"COLUMNS": "400"}).stdout.splitlines()

    assert max(map(len, wide)) > 132
    assert not any(line.endswith("…") for line in wide)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--format", "anthropic", "--strict"], "--strict"),
        (["--format", "mcp", "--shape", "responses"], "--shape"),
        (["--strict", "--shape", "chat"], "--strict and --shape"),  # the default format: ocp
    ],
)
def test_catalog_refuses_openai_options_for_other_formats(options: list[str], named: str) -> None:
    assert_failed(run("catalog", *options), ExitCode.BAD_INPUT, named, "--format openai only")


def test_catalog_takes_openai_options_with_openai() -> None:
    result = run("catalog", "--format", "openai", "--strict", "--shape", "responses")

    assert result.exit_code == 0, result.output
    assert '"strict": true' in result.stdout


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        (["--arg", "Capture=a", "--arg", "Capture=b"], "Capture is given by more than one --arg"),
        (["--json", '{"Capture": "a"}', "--arg", "Capture=b"], "by --json and --arg"),
    ],
)
def test_call_refuses_an_argument_given_twice(options: list[str], phrase: str) -> None:
    assert_failed(run("call", "updatePayments", *options), ExitCode.BAD_INPUT, phrase)


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf"])
def test_call_refuses_a_timeout_that_is_not_positive(seconds: str) -> None:
    result = run("call", "updatePayments", "--timeout", seconds)

    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "--timeout" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("local", ["folder", "file"])
def test_sync_from_a_local_folder_says_it_wants_a_url(local: str, tmp_path: Path) -> None:
    source = str(tmp_path) if local == "folder" else tmp_path.as_uri()

    result = run("sync", "--from", source)

    assert_failed(result, ExitCode.BAD_INPUT, "--from wants the URL of a folder", "--spec")


def test_mcp_without_the_extra_says_how_to_install_it() -> None:
    probe = (
        "import sys\n"
        "sys.modules['mcp'] = None  # as where the extra is not installed\n"
        "from ocp_twilio.cli import main\n"
        "main(['mcp'])\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )

    assert finished.returncode == ExitCode.CONFIGURATION
    assert "Traceback" not in finished.stderr
    assert finished.stderr.startswith("error: The MCP server needs the mcp extra")
    assert ".venv/bin/pip install -e '.[mcp]'" in finished.stderr


def assert_links_stand_apart(text: str) -> None:
    links = list(LINK.finditer(text))
    assert links, text
    for link in links:
        assert text[link.start() - 1] in " \n", text
        assert not link.group().endswith((";", ",", ".")), text


def test_error_texts_put_a_space_before_their_link() -> None:
    with sandbox_in_thread() as sandbox:
        api_error = run(
            "call", "createPayments", "--arg", f"CallSid={UNKNOWN_CALL}",
            "--arg", "IdempotencyKey=k", "--arg", f"StatusCallback={CALLBACK}",
            env=sandbox.environ(),
        )  # fmt: skip
    bad_source = run("sync", "--from", "ftp:nowhere")

    assert_failed(api_error, ExitCode.API_ERROR, "not found. See https://")
    assert_failed(bad_source, ExitCode.CONFIGURATION, "nothing was downloaded")
    for result in (api_error, bad_source):
        assert_links_stand_apart(result.stderr)
