"""Where operations come from: spec files and folders, converted once and cached.

A source is a file or a folder of files, each either the project's own YAML format or an
OpenAPI 3.0 description (JSON or YAML). Converting Twilio's 55 files is the slow part, so the
result is kept under the user cache directory, keyed by a hash of the files' names and contents:
a changed file makes a new key, and a stale entry is never read. An entry that does not load,
for whatever reason, is only a miss: it is converted again and written over.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import logging
import marshal
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from .._config import CACHE_DIR_ENV, read_environment
from .._exceptions import SpecError
from .._version import __version__
from .documents import parse_document, read_bytes
from .hosts import DEFAULT_SERVER
from .model import (
    BodyForm,
    OperationSpec,
    ParameterSpec,
    ResponseSpec,
    packaged_schemas_dir,
    parse_spec_document,
)
from .openapi import is_openapi_document, parse_openapi_document, service_name

__all__ = [
    "CACHE_DIR_ENV",
    "cache_root",
    "load_operations",
    "spec_files",
    "synced_specs_dir",
    "twilio_sources",
]

logger = logging.getLogger("ocp_twilio")

SPEC_SUFFIXES = (".json", ".yaml", ".yml")
_SPEC_FILE = "spec file"
# Bump when the cached shape or the conversion changes, so old entries are not read back.
_CATALOG_FORMAT = 7
_CHECKSUM_SIZE = hashlib.sha256().digest_size


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$OCP_TWILIO_CACHE_DIR``, else the platform's user cache directory for ocp-twilio."""
    configured = read_environment(environ).cache_dir
    return Path(configured) if configured else Path(platformdirs.user_cache_dir("ocp-twilio"))


def synced_specs_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``ocp-twilio sync`` puts Twilio's spec files."""
    return cache_root(environ) / "specs"


def twilio_sources(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The packaged curated schemas, then everything synced (when anything is)."""
    synced = synced_specs_dir(environ)
    return [packaged_schemas_dir(), *([synced] if spec_files([synced], missing_ok=True) else [])]


def spec_files(sources: Iterable[Path | str], *, missing_ok: bool = False) -> list[Path]:
    """The spec files of ``sources``: files as given, folders' JSON and YAML files by name."""
    files: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            files.extend(sorted(p for p in source.iterdir() if p.suffix in SPEC_SUFFIXES))
        elif source.is_file():
            files.append(source)
        elif not missing_ok:
            raise SpecError(f"Spec file or directory {source} does not exist.")
    return files


def load_operations(
    sources: Sequence[Path | str],
    *,
    cache_dir: Path | None = None,
    curated: Sequence[Path | str] = (),
) -> list[OperationSpec]:
    """Every operation of ``sources``; with ``cache_dir``, through the compiled catalog cache.

    Curated operations (the project's YAML format) win over imported OpenAPI operations of the
    same method and path: they carry rules OpenAPI cannot state (exactly one of Capture or
    Status) and descriptions written for a model. The curated one takes the imported one's
    service, name and server, so a tool's name and host do not depend on which source described
    it. ``curated`` names more curated files or folders that only replace: an operation of
    theirs that no source imports is left out.
    """
    files = spec_files(sources)
    replacing = spec_files(curated)
    # Resolved only where the names meet: a warm load stays a few reads.
    names = {path.name for path in replacing}
    given = {path.resolve() for path in files if path.name in names}
    replacing = [path for path in replacing if path.resolve() not in given]
    contents = [(path, read_bytes(path, _SPEC_FILE)) for path in files]
    replacements = [(path, read_bytes(path, _SPEC_FILE)) for path in replacing]
    key = _digest(contents, replacements)
    cache_file = cache_dir / "catalog" / f"{key}.marshal" if cache_dir else None
    with _collector_paused():
        return _operations(contents, replacements, cache_file)


def _operations(
    contents: Sequence[tuple[Path, bytes]],
    replacements: Sequence[tuple[Path, bytes]],
    cache_file: Path | None,
) -> list[OperationSpec]:
    if cache_file is not None:
        cached = _read_cache(cache_file)
        if cached is not None:
            return cached
    own: list[OperationSpec] = []
    imported: list[OperationSpec] = []
    for path, data in contents:
        document = _document(path, data)
        if is_openapi_document(document):
            imported.extend(
                parse_openapi_document(document, service=service_name(path), source=str(path))
            )
        else:
            own.extend(parse_spec_document(document, source=str(path)))
    operations = _curated_first(own, imported, replacements)
    if cache_file is not None and operations:  # an entry is never empty (see _read_cache)
        _write_cache(cache_file, operations)
    return operations


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while the catalog is built or read back: Twilio's files
    make about a million containers, none of them garbage, and the collector's passes over them
    as they pile up took half the time of a warm load and a sixth of a cold one."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _curated_first(
    own: list[OperationSpec],
    imported: list[OperationSpec],
    replacements: Sequence[tuple[Path, bytes]],
) -> list[OperationSpec]:
    """The curated operations, then the imported ones none of them replaces; the first of each
    service and name."""
    # The same operation: one host, method and path (many services share "/v1/Services").
    twins: dict[tuple[str | None, str, str], OperationSpec] = {}
    for op in imported:
        twins.setdefault(_operation_key(op), op)
    chosen = [_in_place_of(op, twins.get(_operation_key(op))) for op in own]
    if twins:  # parsed only where there is something to replace
        for path, data in replacements:
            for op in parse_spec_document(_document(path, data), source=str(path)):
                twin = twins.get(_operation_key(op))
                if twin is not None:
                    chosen.append(_in_place_of(op, twin))
    replaced = {_operation_key(op) for op in chosen}
    chosen.extend(op for op in imported if _operation_key(op) not in replaced)
    seen: set[tuple[str, str]] = set()
    operations: list[OperationSpec] = []
    for op in chosen:
        if (op.service, op.name) not in seen:
            seen.add((op.service, op.name))
            operations.append(op)
    return operations


def _operation_key(op: OperationSpec) -> tuple[str | None, str, str]:
    """An operation as its server knows it: host, method and path (a spec of no server is
    Twilio's REST API, as resolve_base_url reads it)."""
    return (urlsplit(op.server or DEFAULT_SERVER).hostname, op.method, op.path)


def _in_place_of(op: OperationSpec, twin: OperationSpec | None) -> OperationSpec:
    """The curated ``op`` under the names and host of the imported operation it replaces."""
    if twin is None:
        return op
    return dataclasses.replace(
        op, service=twin.service, name=twin.name, server=twin.server or op.server
    )


def _document(path: Path, data: bytes) -> Any:
    return parse_document(data, f"{_SPEC_FILE} {path}", as_json=path.suffix == ".json")


def _digest(
    contents: Iterable[tuple[Path, bytes]], replacements: Iterable[tuple[Path, bytes]]
) -> str:
    digest = hashlib.sha256(f"{_CATALOG_FORMAT}/{__version__}/{sys.version_info[:2]}".encode())
    for mark, files in (("\0", contents), ("\1", replacements)):
        for path, data in files:
            # The file name matters too: it gives imported operations their service.
            digest.update(f"{mark}{path.name}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


# marshal keeps shared objects shared (the component schemas many responses use) and reads
# back faster than JSON; the key includes the Python version, whose marshal format it is. An
# entry starts with the SHA-256 of the rest: marshal trusts its input (a 5-byte file can make
# it allocate gigabytes), so a torn or altered entry is never unmarshalled, only rebuilt.
def _read_cache(path: Path) -> list[OperationSpec] | None:
    """The entry's operations; None where there is none yet or it does not load."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return _catalog_from(data)
    except Exception as exc:  # any failure (even MemoryError) only costs a conversion
        # The file's name and the kind of failure; never its content, which other exceptions'
        # words (a SpecError's, say) may quote.
        reason = str(exc) if isinstance(exc, _UnusableEntry) else type(exc).__name__
        logger.warning(
            "The spec cache entry %s does not load (%s); converting the spec files again.",
            path,
            reason,
        )
        return None


class _UnusableEntry(Exception):
    """A cache entry refused before or after unmarshalling; its words quote nothing of it."""


def _catalog_from(data: bytes) -> list[OperationSpec]:
    checksum, payload = data[:_CHECKSUM_SIZE], data[_CHECKSUM_SIZE:]
    if hashlib.sha256(payload).digest() != checksum:
        raise _UnusableEntry("its checksum does not match: torn or altered")
    # OperationSpec refuses (SpecError) what no loader would have made.
    operations = [_operation_from_row(row) for row in marshal.loads(payload)]
    if not operations:  # sources without operations are not cached: nothing to save
        raise _UnusableEntry("it holds no operations")
    return operations


def _write_cache(path: Path, operations: list[OperationSpec]) -> None:
    """Atomically (write, then rename); a cache that cannot be written is only slower."""
    payload = marshal.dumps([_operation_row(op) for op in operations])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(hashlib.sha256(payload).digest() + payload)
        partial.replace(path)
    except OSError:
        return


def _operation_row(op: OperationSpec) -> tuple[Any, ...]:
    response = (op.response.status, op.response.schema) if op.response else None
    parameters = tuple(
        (p.name, p.location, p.schema, p.required, p.description, p.wire_name, p.from_credentials)
        for p in op.parameters
    )
    return (
        op.name,
        op.method,
        op.path,
        op.description,
        op.operation_id,
        op.api,
        op.service,
        op.server,
        parameters,
        op.body_encoding,
        response,
        op.tags,
        op.exactly_one_of,
        tuple((f.required, dict(f.schemas), f.refuses) for f in op.body_forms),
        op.body_choice,
        op.auth,
    )


def _operation_from_row(row: Sequence[Any]) -> OperationSpec:
    (name, method, path, description, operation_id, api, service, server) = row[:8]
    parameters, body_encoding, response, tags, exactly_one_of, body_forms, body_choice, auth = row[
        8:
    ]
    return OperationSpec(
        name=name,
        method=method,
        path=path,
        description=description,
        operation_id=operation_id,
        api=api,
        service=service,
        server=server,
        parameters=tuple(ParameterSpec(*p) for p in parameters),
        body_encoding=body_encoding,
        response=ResponseSpec(*response) if response else None,
        tags=tags,
        exactly_one_of=exactly_one_of,
        body_forms=tuple(BodyForm(*form) for form in body_forms),
        body_choice=body_choice,
        auth=auth,
    )
