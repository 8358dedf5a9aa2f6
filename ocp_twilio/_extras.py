"""The optional parts of the library, pyproject.toml's extras: code that needs one imports it
inside ``needs_extra``, so that where it is missing the caller reads a ConfigurationError with
the line that installs it, not a bare ModuleNotFoundError from deep inside the library."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ._exceptions import ConfigurationError

__all__ = ["install_line", "needs_extra"]


def install_line(extra: str) -> str:
    """The command that installs ``extra`` into the checkout's venv (the package is on no index)."""
    return f".venv/bin/pip install -e '.[{extra}]'"


@contextmanager
def needs_extra(extra: str, what: str) -> Iterator[None]:
    """Imports in the block are ``extra``'s: a failed one raises ConfigurationError saying that
    ``what`` needs it and how to install it."""
    try:
        yield
    except ImportError as error:
        # The import's own words name the module; the chain is left out, as for every OCPError.
        raise ConfigurationError(
            f"{what} needs the {extra} extra ({error}); install it from the ocp-twilio checkout "
            f"with: {install_line(extra)}"
        ) from None
