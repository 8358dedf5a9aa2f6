"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_table"]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int = 100) -> str:
    """Aligned columns; the last column is cut to keep each line within ``width``."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers) - 1)]
    lead = sum(widths) + 2 * len(widths)
    room = max(width - lead, 20)
    lines = []
    for row in [headers, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        last = str(row[-1])
        cells.append(last if len(last) <= room else last[: room - 1] + "…")
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
