"""The library's defaults, in one place."""

from __future__ import annotations

__all__ = ["MAX_JSON_DEPTH"]

# Twilio's resources nest a few levels; jsonschema and json.dumps recurse once or more per level,
# so a value nested far deeper would end in RecursionError wherever it went next.
MAX_JSON_DEPTH = 64
