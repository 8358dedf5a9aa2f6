"""The code blocks of the README and docs/, each with the section it stands in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from support.files import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
HEADING = re.compile(r"^## (.+)$", re.M)
# In docs/, a program's section is its nearest heading of any level (the page's title at first).
DOCS_HEADING = re.compile(r"^#{1,3} (.+)$", re.M)


@dataclass(frozen=True)
class Block:
    section: str
    language: str
    code: str
    file: str = README.name

    @property
    def needs_twilio_oai(self) -> bool:
        return "../shared/twilio-oai" in self.code


def blocks_of(path: Path, heading: re.Pattern[str]) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    # A shell comment in a block ("# Account SID: ...") is no heading.
    headings = [
        (m.start(), m.group(1))
        for m in heading.finditer(text)
        if not any(f.start() < m.start() < f.end() for f in fences)
    ]
    blocks = []
    for fence in fences:
        section = [title for start, title in headings if start < fence.start()][-1]
        blocks.append(Block(section, fence.group(1), fence.group(2), path.name))
    return blocks


def readme_blocks() -> list[Block]:
    return blocks_of(README, HEADING)
