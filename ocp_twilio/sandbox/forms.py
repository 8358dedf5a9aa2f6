"""Reading a request's form fields as Twilio documents them: application/x-www-form-urlencoded
in UTF-8 (every request body of Twilio's 2010 API).

Any other non-empty body, multipart included, is refused with Twilio's 400 rather than parsed:
the sandbox has no use for a multipart parser, and its failures are not worth chasing one by one.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp import web

from .errors import bad_request

__all__ = ["read_form"]

FORM = "application/x-www-form-urlencoded"
# aiohttp's own bound on a form's fields; a Payments request has fewer than twenty.
_MAX_FIELDS = 1_000


async def read_form(request: web.Request) -> list[tuple[str, str]]:
    """The fields in order; 400 (code 20001) for a body that is not a UTF-8 form. A body over
    the application's client_max_size raises aiohttp's HTTPRequestEntityTooLarge."""
    try:
        body = await request.read()
    except web.RequestPayloadError:  # a Content-Encoding that does not decode
        raise bad_request(f"The request body cannot be decoded: send {FORM} in UTF-8.") from None
    if not body:
        return []
    if request.content_type != FORM:
        raise bad_request(f"The request body must be {FORM}, in UTF-8.")
    try:
        # parse_qsl, not aiohttp's reader: that replaces bad UTF-8 in percent-escapes with
        # U+FFFD, which Twilio refuses.
        text = body.decode(request.charset or "utf-8")
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=_MAX_FIELDS)
    except (ValueError, LookupError) as exc:
        # UnicodeDecodeError is a ValueError, as are too many fields; LookupError: an
        # unknown charset.
        problem = "not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else "malformed"
        raise bad_request(f"The request body is {problem}: send {FORM} in UTF-8.") from None
