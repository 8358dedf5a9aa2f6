"""Twilio's example answers (the ``examples`` of its OpenAPI files), and the few whose data is
wrong on their own terms, which strict validation must go on refusing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def example_answers(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(operationId, example name, answer) of every 2xx JSON example answer of ``document``,
    through ``$ref``s to components/responses and components/examples."""
    for item in document.get("paths", {}).values():
        for operation in _deref(document, item).values():
            if not isinstance(operation, Mapping) or "operationId" not in operation:
                continue
            for status, response in (operation.get("responses") or {}).items():
                if not str(status).startswith("2"):
                    continue
                content = _deref(document, response).get("content") or {}
                named = (content.get("application/json") or {}).get("examples") or {}
                for name, example in named.items():
                    example = _deref(document, example)
                    if "value" in example:
                        yield operation["operationId"], name, example["value"]


def _deref(document: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = document
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


_METHODS = ("sms_fallback_method", "sms_method", "voice_fallback_method", "voice_method")

# (file stem, operationId, example name) -> the places strict validation refuses, and why the
# example, not the schema, is wrong there. No tolerance may let these through.
EXAMPLE_ERRATA: dict[tuple[str, str, str], tuple[tuple[tuple[str | int, ...], ...], str]] = {
    ("twilio_api_v2010", "ListDependentPhoneNumber", "readFull"): (
        (("dependent_phone_numbers", 0, "trunk_sid"),),
        "an Application SID (AP...) as the trunk SID (TK...)",
    ),
    ("twilio_flex_v1", "ListConfiguredPlugin", "readFull"): (
        (("plugins", 0, "plugin_version_sid"),),
        "PV... where plugin version SIDs are FV...",
    ),
    ("twilio_flex_v1", "FetchConfiguredPlugin", "fetch"): (
        (("plugin_version_sid",),),
        "PV... where plugin version SIDs are FV...",
    ),
    **{
        ("twilio_messaging_v1", operation, example): (
            (path,),
            "a 10-character brand vetting SID (VT12445353); SIDs are 34",
        )
        for operation, example, path in (
            ("CreateBrandVetting", "create", ("brand_vetting_sid",)),
            ("CreateBrandVetting", "create202Response", ("brand_vetting_sid",)),
            ("ListBrandVetting", "read", ("data", 0, "brand_vetting_sid")),
            ("FetchBrandVetting", "fetch", ("brand_vetting_sid",)),
        )
    },
    **{
        ("twilio_preview", operation, example): (
            tuple((*prefix, method) for method in _METHODS),
            'the placeholder "http_method" where GET or POST is the value',
        )
        for operation, example, prefix in (
            ("FetchWirelessSim", "fetch", ()),
            ("UpdateWirelessSim", "update", ()),
            ("ListWirelessSim", "readFull", ("sims", 0)),
        )
    },
    **{
        ("twilio_verify_v2", operation, example): (
            (("service_sid",),),
            "a 33-character service SID (VA and 31 digits)",
        )
        for operation, example in (
            ("CreateChallengePasskeys", "createChallengeResponse"),
            ("CreateChallengePasskeys", "createChallengeNonDiscoverableResponse"),
            ("UpdateChallengePasskeys", "approvedChallengeResponse"),
            ("UpdateChallengePasskeys", "approvedChallengeNonDiscoverableResponse"),
        )
    },
    **{
        ("twilio_video_v1", operation, example): (
            (path,),
            'codec "opus" where the same file lists OPUS (VP8, H264, OPUS, PCMU)',
        )
        for operation, example, path in (
            ("FetchRecording", "fetch", ("codec",)),
            ("ListRecording", "readResults", ("recordings", 0, "codec")),
            ("FetchRoomRecording", "fetch", ("codec",)),
            ("ListRoomRecording", "readResults", ("recordings", 0, "codec")),
        )
    },
}
