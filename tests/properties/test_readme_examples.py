"""Every example of the README and docs/ runs as pasted, each against its own sandbox on
127.0.0.1, from a folder outside the repository and with no TWILIO_* variables; the shell
commands avoid the pitfalls that once broke them, and the safe ones run.

A ```python block is a whole program: it is run, and what it prints is checked. A ```py block is
a fragment by design (top-level ``await``, names defined elsewhere): it must parse, and it may not
be a program (``asyncio.run``), which would then go unrun (CONTRIBUTING.md)."""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from support.files import ROOT, SHARED_OAI
from support.readme import DOCS_HEADING, FENCE, README, Block, blocks_of, readme_blocks

DOCS = sorted((ROOT / "docs").glob("*.md"))
VENV_BIN = Path(sys.executable).parent
SET_UP_DEMO = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/ocp-twilio demo"

PAY_OPERATIONS = "['api_v2010__createPayments', 'api_v2010__updatePayments']"


BLOCKS = readme_blocks()
PYTHON = [block for block in BLOCKS if block.language == "python"]
SHELL = [block for block in BLOCKS if block.language == "sh"]
DOCS_BLOCKS = [block for path in DOCS for block in blocks_of(path, DOCS_HEADING)]
DOCS_PYTHON = [block for block in DOCS_BLOCKS if block.language == "python"]


def printed_text(section: str, blocks: list[Block] = BLOCKS) -> str:
    """The ```text block of a section: what its example prints, as the page shows it."""
    [shown] = [b.code for b in blocks if b.section == section and b.language == "text"]
    return re.escape(shown.strip())


# What each section's examples print (a full match of their output), in the README's order.
EXPECTED_OUTPUT = {
    "Quick start": [r"PK[0-9a-f]{32} True"],
    "Payments": ["complete"],
    "Payment progress": [printed_text("Payment progress")],
    "All of Twilio, from its OpenAPI files": [
        r"1454 tools\n\['api_v2010__createMessage', 'api_v2010__\w+', '\w+'\]"
    ],
    "All of Twilio in four tools": [
        re.escape(
            "['findTwilioTool', 'browseTwilioTools', 'describeTwilioTool', 'callTwilioTool']\n"
        )
        + re.escape("api_v2010__createPayments ['CallSid', 'StatusCallback'] PK")
    ],
    "Agent frameworks": [
        "4 4 tool False",
        re.escape(PAY_OPERATIONS) + " False",  # over stdio without --public-url
        r'\{"account_sid":"AC[0-9a-f]{32}",.*"sid":"PK[0-9a-f]{32}",.*\}',
    ],
    "The operator's policy": [printed_text("The operator's policy")],
    "The sandbox": [re.escape("True ('expiration-date', 'security-code', 'postal-code')")],
    "Retries and idempotency": ["True 1"],
    "Errors": ["True True\n404 20404 False"],
    "Testing your own agent": ["20404 POST True"],
}


def shown(page: str, section: str) -> list[str]:
    """The ```text blocks of a section of a page of docs/, in order: what its programs print."""
    return [
        re.escape(b.code.strip())
        for b in DOCS_BLOCKS
        if (b.file, b.section, b.language) == (page, section, "text")
    ]


# Each framework's program prints what the page shows once, at its top.
[FRAMEWORK_OUTPUT] = shown("frameworks.md", "Every framework, a whole program")
# The four approval programs print the same, shown once.
[APPROVAL_OUTPUT] = shown("reference.md", "Approval in each framework")
# Sections whose every program is followed by a ```text block of what it prints.
EACH_SHOWN = [
    "policy.md: Where it applies",
    "policy.md: Audit",
    "reference.md: OAuth client credentials and bearer tokens",
    "reference.md: All of Twilio",
    "reference.md: Payment progress",
    "reference.md: Retries and limits",
    "reference.md: OCP: agent context, the API registry, plugins",
    "sandbox.md: The sandbox",
    "sandbox.md: Texts and calls",
]

# What each program of docs/ prints (a full match), by page and section, in the pages' order.
DOCS_EXPECTED_OUTPUT = {
    "frameworks.md: OpenAI": [FRAMEWORK_OUTPUT],
    "frameworks.md: Anthropic": [FRAMEWORK_OUTPUT],
    # The two Pay tools: without a receiver or a shared store, the progress tools are not served.
    "frameworks.md: MCP": [r"2 False \[\('api_v2010__createPayments', 'success'\)\]"],
    "frameworks.md: LangChain and LangGraph": [FRAMEWORK_OUTPUT],
    "frameworks.md: OpenAI Agents SDK": [FRAMEWORK_OUTPUT],
    "frameworks.md: Pydantic AI": [FRAMEWORK_OUTPUT],
    "frameworks.md: Google ADK": [FRAMEWORK_OUTPUT],
    "reference.md: Approval in each framework": [APPROVAL_OUTPUT] * 4,
    **{key: shown(*key.split(": ", 1)) for key in EACH_SHOWN},
}


def test_every_python_example_has_its_expected_output() -> None:
    sections = [block.section for block in PYTHON]
    assert {s: sections.count(s) for s in sections} == {
        s: len(outputs) for s, outputs in EXPECTED_OUTPUT.items()
    }
    pages = [f"{block.file}: {block.section}" for block in DOCS_PYTHON]
    assert {s: pages.count(s) for s in pages} == {
        s: len(outputs) for s, outputs in DOCS_EXPECTED_OUTPUT.items()
    }


def example_cases() -> list[object]:
    counts: dict[str, int] = {}
    cases = []
    for block in [*PYTHON, *DOCS_PYTHON]:
        key = block.section if block.file == README.name else f"{block.file}: {block.section}"
        n = counts.get(key, 0)
        counts[key] = n + 1
        outputs = EXPECTED_OUTPUT if block.file == README.name else DOCS_EXPECTED_OUTPUT
        expected = outputs.get(key, [])
        cases.append(
            pytest.param(block, expected[n] if n < len(expected) else None, id=f"{key} {n + 1}")
        )
    return cases


@pytest.mark.parametrize(("block", "expected"), example_cases())
def test_python_example_runs_as_pasted(
    block: Block, expected: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if block.needs_twilio_oai and not SHARED_OAI.is_dir():
        pytest.skip(f"needs Twilio's OpenAPI files at {SHARED_OAI}")
    assert expected is not None, f"no expected output for an example of {block.section!r}"
    # A folder outside the repository; ../shared/twilio-oai resolves from it as from the root.
    work = tmp_path / "work"
    work.mkdir()
    if SHARED_OAI.is_dir():
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "twilio-oai").symlink_to(SHARED_OAI)
    for name in [key for key in os.environ if key.startswith("TWILIO_")]:
        monkeypatch.delenv(name)
    # As after the set-up command: the venv's programs are not on the PATH.
    path = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry]
    monkeypatch.setenv("PATH", os.pathsep.join(p for p in path if Path(p) != VENV_BIN))
    finished = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-c", block.code],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert re.fullmatch(expected, finished.stdout.strip()), finished.stdout
    assert "Unclosed" not in finished.stderr, finished.stderr


FRAGMENTS = [block for block in [*BLOCKS, *DOCS_BLOCKS] if block.language == "py"]


@pytest.mark.parametrize(
    "block", FRAGMENTS, ids=[f"{block.file}: {block.section}" for block in FRAGMENTS]
)
def test_a_fragment_parses_and_is_no_program(block: Block) -> None:
    # Top-level await is how the fragments show a call; anything else must be valid Python.
    compile(block.code, block.file, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    assert "asyncio.run(" not in block.code, "a whole program: fence it ```python, so it runs"


def test_every_python_block_is_a_program_or_a_fragment() -> None:
    # An unmarked or other-named fence would be neither run nor parsed.
    fences = {block.language for block in [*BLOCKS, *DOCS_BLOCKS]}
    assert not fences & {"", "python3", "pycon", "Python"}, fences


# --- shell commands ----------------------------------------------------------------------


def test_the_two_set_up_commands() -> None:
    demo, tests = [block.code.strip() for block in SHELL if block.section == "Set up"]
    assert demo == SET_UP_DEMO
    # The tests' command is CI's own script, which builds its own venv and runs pytest last.
    assert tests == "bash .ci/run"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in ci and ci.rstrip().endswith(".venv/bin/python -m pytest")


PITFALLS = {
    # The package is on no index: extras are installed from the checkout.
    r"pip install [\"']?ocp-twilio": "pip install of a package on no index",
    r"(?<![\w/.-])pip install": "a bare pip, not the venv's",
    r"(?<![\w/.-])python \S+\.py": "a bare python (not the venv's, maybe absent)",
    r"spec=[\"']schemas[\"']": "spec='schemas', true only in the repository root",
}
# How a command to paste may start: the set-up commands, the venv's programs, a variable.
COMMAND_STARTS = ("python3 -m venv .venv ", "bash .ci/run", ".venv/bin/", "export ")


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: path.name)
def test_no_known_pitfall(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        f"{what}: {match.group(0)!r}"
        for pattern, what in PITFALLS.items()
        for match in re.finditer(pattern, text)
    ]
    found += [
        f"not the venv's program: {command!r}"
        for command in commands(FENCE.finditer(text))
        if not command.startswith(COMMAND_STARTS)
    ]
    assert found == []


def commands(fences: Iterable[re.Match[str]]) -> list[str]:
    """The command lines of the ```sh blocks, without comments."""
    lines = [
        line.split("#")[0].strip()
        for fence in fences
        if fence.group(1) == "sh"
        for line in fence.group(2).splitlines()
    ]
    return [line for line in lines if line]


def shell_commands() -> list[str]:
    return commands(FENCE.finditer(README.read_text(encoding="utf-8")))


# The commands of the README that the test does not run, and why.
NOT_RUN = {
    SET_UP_DEMO: "builds a venv; its last step, the demo, runs below",
    "bash .ci/run": "the whole CI run, of which this test is a part",
}


def test_every_shell_command_is_run_or_said_why_not() -> None:
    for command in shell_commands():
        assert command in NOT_RUN or command.startswith(".venv/bin/ocp-twilio "), command


@pytest.mark.parametrize(
    "command",
    [c for c in shell_commands() if c not in NOT_RUN] + [".venv/bin/ocp-twilio demo"],
)
def test_shell_command_runs(command: str, tmp_path: Path) -> None:
    # .venv/bin/ is the installation under test, wherever its venv lives.
    program, *arguments = shlex.split(command)
    finished = subprocess.run(
        [str(VENV_BIN / Path(program).name), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip()


# --- links between the README and docs/ ----------------------------------------------------


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings (code blocks left out)."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    titles = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-") for title in titles}


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: path.name)
def test_links_reach_a_file_and_heading(path: Path) -> None:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    broken = []
    for target, fragment in re.findall(r"\]\(([^)#\s:]*)(?:#([^)\s]+))?\)", text):
        linked = (path.parent / target).resolve() if target else path
        if not linked.is_file() or (fragment and fragment not in anchors(linked)):
            broken.append(f"{target}#{fragment}")
    assert broken == []
    if path == README:
        assert {p.name for p in DOCS} <= set(re.findall(r"\]\(docs/([\w-]+\.md)", text))
