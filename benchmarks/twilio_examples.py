"""How many of Twilio's own example answers pass strict response validation, and by which rule.

    python benchmarks/twilio_examples.py [--spec DIR] [--runs N] [--json]

Every example answer of Twilio's OpenAPI files (default: ../shared/twilio-oai beside the
checkout): each ``examples`` entry of an operation's 2xx ``application/json`` responses, through
``$ref``s (components/responses, components/examples), is checked against the operation's tool as
strict mode checks an answer (``Tool.response_errors``). Prints how many fail with the schemas
as Twilio writes them and with the tolerances of ocp_twilio/specs/tolerances.py; for each rule,
how many fail when that rule alone is left out; for relative ``uri`` values (accepted by the
answers' formats), how many fail under the arguments' formats, which demand absolute URIs; the
examples that still fail; and the CPU time of converting the files, and of checking every example
once the validators are compiled, with the tolerances and without (each the least of ``--runs``).
Without the files it says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from ocp_twilio import Tool
from ocp_twilio.specs.documents import read_document
from ocp_twilio.specs.openapi import parse_openapi_document, service_name
from ocp_twilio.specs.tolerances import TOLERANCES, Tolerance
from ocp_twilio.tools.formats import INPUT_FORMATS
from ocp_twilio.tools.validation import SchemaValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.twilio_examples import example_answers

DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai"
T = TypeVar("T")


def failures(
    documents: Mapping[str, Mapping[str, Any]],
    tolerances: Iterable[Tolerance] = TOLERANCES,
    *,
    absolute_uris: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """How many examples there are, and those that fail, each with where and why."""
    return _check(documents, _tools(documents, tolerances), absolute_uris=absolute_uris)


def measure(spec: Path, runs: int = 5) -> dict[str, Any]:
    documents = {p.stem: read_document(p, "OpenAPI file") for p in sorted(spec.glob("*.yaml"))}
    tools, converted = _best(runs, lambda: _tools(documents, TOLERANCES))
    total, failing = _check(documents, tools)  # the first check compiles each validator
    _, checked = _best(runs, lambda: _check(documents, tools))
    as_written_tools, converted_as_written = _best(runs, lambda: _tools(documents, ()))
    _, as_written = _check(documents, as_written_tools)
    _, checked_as_written = _best(runs, lambda: _check(documents, as_written_tools))
    by_rule = {
        rule.name: len(failures(documents, [r for r in TOLERANCES if r is not rule])[1])
        - len(failing)
        for rule in TOLERANCES
    }
    by_rule["relative-uri"] = len(failures(documents, absolute_uris=True)[1]) - len(failing)
    return {
        "files": len(documents),
        "examples": total,
        "failing_as_written": len(as_written),
        "failing": len(failing),
        "more_failing_without": by_rule,
        "still_failing": failing,
        "cpu_ms_to_convert_all": round(converted * 1000, 1),
        "cpu_ms_to_convert_all_as_written": round(converted_as_written * 1000, 1),
        "cpu_ms_to_check_all": round(checked * 1000, 1),
        "cpu_ms_to_check_all_as_written": round(checked_as_written * 1000, 1),
    }


def _best(runs: int, step: Callable[[], T]) -> tuple[T, float]:
    """What ``step`` gives, and its least CPU time in seconds of ``runs`` runs: the steadier
    figure on a machine that other jobs load."""
    times = []
    for _ in range(max(runs, 1)):
        started = time.process_time()
        result = step()
        times.append(time.process_time() - started)
    return result, min(times)


def _tools(
    documents: Mapping[str, Mapping[str, Any]], tolerances: Iterable[Tolerance]
) -> dict[str, dict[str, Tool]]:
    rules = tuple(tolerances)
    return {
        stem: {
            op.operation_id: Tool(op)
            for op in parse_openapi_document(document, service=service_name(stem), tolerances=rules)
        }
        for stem, document in documents.items()
    }


def _check(
    documents: Mapping[str, Mapping[str, Any]],
    tools: Mapping[str, Mapping[str, Tool]],
    *,
    absolute_uris: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    count = 0
    failed: list[dict[str, Any]] = []
    strict_uris: dict[tuple[str, str], SchemaValidator | None] = {}
    for stem, document in documents.items():
        for operation_id, name, answer in example_answers(document):
            tool = tools[stem][operation_id]
            count += 1
            if absolute_uris:
                key = (stem, operation_id)
                if key not in strict_uris:
                    strict_uris[key] = _with_absolute_uris(tool)
                validator = strict_uris[key]
                errors = validator.errors(answer) if validator is not None else ()
            else:
                errors = tool.response_errors(answer)
            if errors:
                failed.append(
                    {
                        "file": stem,
                        "operation": operation_id,
                        "example": name,
                        "errors": [[list(e.path), e.message] for e in errors],
                    }
                )
    return count, failed


def _with_absolute_uris(tool: Tool) -> SchemaValidator | None:
    schema = tool.output_schema
    return None if schema is None else SchemaValidator(schema, INPUT_FORMATS, tool.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--runs", type=int, default=5, help="timings: the best of this many")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    if not options.spec.is_dir():
        print(f"Twilio's OpenAPI files are not at {options.spec}; nothing measured.")
        return
    result = measure(options.spec, options.runs)
    if options.json:
        json.dump(result, sys.stdout)
        return
    print(f"{result['examples']} example answers in {result['files']} files")
    print(f"failing strict validation as Twilio writes its schemas: {result['failing_as_written']}")
    print(f"failing strict validation with the tolerances:          {result['failing']}")
    for name, more in result["more_failing_without"].items():
        print(f"  without {name}: {more} more")
    for failure in result["still_failing"]:
        where = "; ".join(f"{'.'.join(map(str, p))}: {m}" for p, m in failure["errors"])
        print(f"  still failing: {failure['file']} {failure['operation']} {failure['example']}:")
        print(f"    {where}")
    for step in ("convert", "check"):
        print(
            f"{step} all, CPU (best of {options.runs}): {result[f'cpu_ms_to_{step}_all']} ms with "
            f"the tolerances, {result[f'cpu_ms_to_{step}_all_as_written']} ms with the schemas "
            "as written"
        )


if __name__ == "__main__":
    main()
