"""Size in tokens of the tool lists a model reads on every turn, per export format.

    python benchmarks/tool_list_size.py                    # the packaged specs
    python benchmarks/tool_list_size.py --spec DIR_OR_FILE # other specs: OpenAPI or YAML

Tokens are counted with OpenAI's o200k_base encoding (GPT-4o and later), from the offline
``bpe-openai`` package (the ``bench`` extra): tiktoken downloads its vocabularies at run time.
Anthropic publishes no tokenizer, so its figures are o200k_base counts too, an approximation.
What is counted is the compact JSON of the definitions; each provider adds a few framing tokens
per tool when it renders them into the prompt.

"compact" is the list of ``tools_for(..., compact=True)`` (findTwilioTool, describeTwilioTool,
callTwilioTool, the same whatever is registered), and "+group" that list with the group's tools
beside it (``tags=[...]``), each encoded whole.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bpe_openai import get_encoding

from ocp_twilio import SpecError, Tool, load_tools, ocp_catalog_entry, tool_definitions
from ocp_twilio.ocp.plugin import twilio_api
from ocp_twilio.tools.compact import compact_tools

FORMATS: dict[str, Callable[[Sequence[Tool]], Any]] = {
    "openai chat": lambda tools: tool_definitions(tools, "openai"),
    "openai chat strict": lambda tools: tool_definitions(tools, "openai", strict=True),
    "openai responses": lambda tools: tool_definitions(tools, "openai", shape="responses"),
    "anthropic": lambda tools: tool_definitions(tools, "anthropic"),
    "mcp": lambda tools: tool_definitions(tools, "mcp"),
    "ocp catalog": lambda tools: ocp_catalog_entry(twilio_api(), tools),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--spec", type=Path, help="spec file or directory, OpenAPI or YAML (default: packaged)"
    )
    parser.add_argument("--group-tag", default="payments", help="tag of the group also reported")
    parser.add_argument("--encoding", default="o200k_base", choices=["o200k_base", "cl100k_base"])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()

    tools = list(load_tools("twilio", options.spec))
    group = [t for t in tools if options.group_tag in t.tags]
    encoding = get_encoding(options.encoding)
    rows = [
        {
            "format": name,
            **_sizes(export, tools, group, encoding.encode),
            **_compact_sizes(export, group, encoding.encode),
        }
        for name, export in FORMATS.items()
    ]
    if options.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{len(tools)} tools, {len(group)} tagged {options.group_tag}; {options.encoding} tokens")
    print(
        f"{'format':<20} {'group':>7} {'all':>9} {'per tool':>9} {'largest':>8} {'refused':>8} "
        f"{'compact':>8} {'+group':>7}"
    )
    for row in rows:
        print(
            f"{row['format']:<20} {row['group']:>7} {row['all']:>9} {row['per_tool']:>9} "
            f"{row['largest']:>8} {row['refused']:>8} {row['compact']:>8} "
            f"{row['compact_group']:>7}"
        )


def _sizes(
    export: Callable[[Sequence[Tool]], Any],
    tools: Sequence[Tool],
    group: Sequence[Tool],
    encode: Callable[[str], list[int]],
) -> dict[str, int]:
    """Tokens of the group's list and of the whole list, without the tools a format refuses.

    The whole list is counted tool by tool and summed (the tokenizer refuses very long inputs);
    that differs from one encoding of the whole list by a token or two per tool at most.
    """
    per_tool: dict[str, int] = {}
    for tool in tools:
        try:
            per_tool[tool.name] = len(encode(_compact(export([tool]))))
        except SpecError:
            continue
    exported = [t for t in tools if t.name in per_tool]
    chosen = [t for t in group if t.name in per_tool]
    total = sum(per_tool.values())
    return {
        "group": sum(per_tool[t.name] for t in chosen),
        "all": total,
        "per_tool": round(total / len(exported)) if exported else 0,
        "largest": max(per_tool.values(), default=0),
        "refused": len(tools) - len(exported),
    }


def _compact_sizes(
    export: Callable[[Sequence[Tool]], Any],
    group: Sequence[Tool],
    encode: Callable[[str], list[int]],
) -> dict[str, int]:
    """Tokens of the compact list, alone and with the group's tools beside it."""
    three = list(compact_tools(None))
    return {
        "compact": len(encode(_compact(export(three)))),
        "compact_group": len(encode(_compact(export([*three, *group])))),
    }


def _compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


if __name__ == "__main__":
    main()
