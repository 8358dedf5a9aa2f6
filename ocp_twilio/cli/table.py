"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_table"]

# The narrowest a cut column gets: "GET /Ca…" still says what it was.
_MIN_CELL = 8
_MIN_LAST = 16


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int = 100) -> str:
    """Aligned columns within ``width``: the last column is cut to fit, and where that leaves it
    too narrow the middle ones too (never the first, which names the row), each cut ending "…"."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers) - 1)]
    while sum(widths) + 2 * len(widths) + _MIN_LAST > width:
        widest = max(range(1, len(widths)), key=widths.__getitem__, default=0)
        if widest == 0 or widths[widest] <= _MIN_CELL:
            break
        widths[widest] -= 1
    room = max(width - sum(widths) - 2 * len(widths), _MIN_CELL)
    lines = []
    for row in [headers, *rows]:
        cells = [_cut(str(c), w).ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        cells.append(_cut(str(row[-1]), room))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
