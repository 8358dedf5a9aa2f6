"""Twilio's webhook signature (X-Twilio-Signature): HMAC-SHA1 under the account's Auth Token.

The signed text is the URL exactly as Twilio called it, then each POST parameter sorted by name,
name and value with no separator. The rules follow twilio-python's ``RequestValidator``, so that
both agree on every input: names and, within a name, values are sorted and taken once each; the
URL is also tried with its port dropped and with the default port added, because proxies add or
drop it; a JSON body is signed through the ``bodySHA256`` query parameter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlparse

__all__ = ["SIGNATURE_HEADER", "Params", "compute_signature", "validate_signature"]

SIGNATURE_HEADER = "X-Twilio-Signature"

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def compute_signature(auth_token: str, url: str, params: Params | None = None) -> str:
    """The X-Twilio-Signature Twilio sends for a POST of ``params`` to ``url``."""
    text = url
    for name, values in sorted(_grouped(params).items()):
        for value in sorted(values):
            text += name + value
    digest = hmac.new(auth_token.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def validate_signature(
    auth_token: str, signature: str, url: str, params: Params | str | None = None
) -> bool:
    """Whether ``signature`` is Twilio's for ``url`` and ``params``, compared in constant time.

    ``params`` is the form (a mapping or (name, value) pairs), or for a JSON body the raw body
    text, whose SHA-256 must then match the URL's ``bodySHA256``.
    """
    body_ok = True
    if isinstance(params, str):
        hashes = parse_qs(urlparse(url).query).get("bodySHA256")
        if hashes:
            expected = hashlib.sha256(params.encode("utf-8")).hexdigest()
            body_ok = hmac.compare_digest(expected.encode(), hashes[0].encode("utf-8"))
        elif params:
            return False  # a raw body is signed only through its bodySHA256
        params = None
    given = signature.encode("utf-8")
    matches = [
        hmac.compare_digest(compute_signature(auth_token, variant, params).encode(), given)
        for variant in _url_variants(url)
    ]
    return body_ok and any(matches)


def _grouped(params: Params | None) -> dict[str, set[str]]:
    pairs = params.items() if isinstance(params, Mapping) else (params or ())
    grouped: dict[str, set[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, set()).add(value)
    return grouped


def _url_variants(url: str) -> tuple[str, ...]:
    """The URL without its port, and with the scheme's default port where it has none, each as
    ``urlparse(...).geturl()`` gives it (as twilio-python does); none for a malformed port."""
    parts = urlparse(url)
    try:
        port = parts.port
    except ValueError:
        return ()
    if port:
        return parts._replace(netloc=parts.netloc.split(":")[0]).geturl(), parts.geturl()
    default = 443 if parts.scheme == "https" else 80
    return parts.geturl(), parts._replace(netloc=f"{parts.netloc}:{default}").geturl()
