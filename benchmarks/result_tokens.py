"""Tokens a model reads of a result, before and after the adapters size it.

    python benchmarks/result_tokens.py [--oai DIR] [--budget TOKENS] [--json]

The answers are made from Twilio's own examples in its OpenAPI files (../shared/twilio-oai by
default): listMessage with 50 messages (the example's records repeated, each with its own SID),
fetchCall, and listConversation with 50 conversations. "before" is the answer's compact JSON,
what the adapters handed a model until now (and what ``call_tool`` still returns); "after" the
view sized to the budget (links and nulls dropped, records cut with a note and a cursor);
"fields" the same with Fields naming a few fields. Tokens are o200k_base counts (bpe-openai,
the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import yaml

from ocp_twilio import load_tools
from ocp_twilio._config import DEFAULT_RESULT_TOKENS
from ocp_twilio.adapters._sizing import count_tokens, sized

OAI = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai"
# (tool, OpenAPI file, operationId, records to make, Fields asked for)
CASES = [
    ("listMessage", "twilio_api_v2010.yaml", "ListMessage", 50, ["sid", "status", "to", "body"]),
    ("fetchCall", "twilio_api_v2010.yaml", "FetchCall", 0, ["sid", "status", "duration"]),
    (
        "listConversation",
        "twilio_conversations_v1.yaml",
        "ListConversation",
        50,
        ["sid", "friendly_name", "state"],
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--oai", type=Path, default=OAI, help="Twilio's OpenAPI files")
    parser.add_argument("--budget", type=int, default=DEFAULT_RESULT_TOKENS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()

    files = sorted({options.oai / case[1] for case in CASES})
    tools = {tool.spec.operation_id: tool for tool in load_tools("twilio", files)}
    rows = []
    for name, file, operation, count, fields in CASES:
        tool = tools[operation]
        answer = _answer(options.oai / file, operation, count, tool.paging)
        rows.append(
            {
                "tool": name,
                "records": count or 1,
                "before": count_tokens(_json(answer)),
                "after": count_tokens(
                    _json(sized(tool, {}, copy.deepcopy(answer), options.budget))
                ),
                "fields": count_tokens(
                    _json(sized(tool, {"Fields": fields}, answer, options.budget))
                ),
            }
        )
    if options.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"budget {options.budget:,} tokens; o200k_base tokens of what the model reads")
    print(f"{'tool':<18} {'records':>7} {'before':>8} {'after':>7} {'fields':>7}")
    for row in rows:
        print(
            f"{row['tool']:<18} {row['records']:>7} {row['before']:>8,} {row['after']:>7,} "
            f"{row['fields']:>7,}"
        )


def _answer(file: Path, operation: str, count: int, paging: Any) -> Any:
    """The first example answer of ``operation``, its records repeated to ``count``."""
    example = _first_example(yaml.safe_load(file.read_text(encoding="utf-8")), operation)
    if paging is None:
        return example
    records = example[paging.records]
    made = []
    for index in range(count):
        record = copy.deepcopy(records[index % len(records)])
        record["sid"] = record["sid"][:2] + f"{index:032x}"
        made.append(record)
    return {**example, paging.records: made}


def _first_example(document: dict[str, Any], operation: str) -> Any:
    for item in document["paths"].values():
        for method in ("get", "post"):
            if item.get(method, {}).get("operationId") == operation:
                content = item[method]["responses"]["200"]["content"]["application/json"]
                return next(iter(content["examples"].values()))["value"]
    raise SystemExit(f"{operation} has no example answer")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
