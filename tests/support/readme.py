"""The README's code blocks, each with the section it stands in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from support.files import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
HEADING = re.compile(r"^## (.+)$", re.M)


@dataclass(frozen=True)
class Block:
    section: str
    language: str
    code: str

    @property
    def needs_twilio_oai(self) -> bool:
        return "../shared/twilio-oai" in self.code


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    headings = [(m.start(), m.group(1)) for m in HEADING.finditer(text)]
    blocks = []
    for fence in FENCE.finditer(text):
        section = [title for start, title in headings if start < fence.start()][-1]
        blocks.append(Block(section, fence.group(1), fence.group(2)))
    return blocks
