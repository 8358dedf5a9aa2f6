"""Everyday words for *kinds of need*, as the Twilio resources that answer them: data, no ranking.

People asking vaguely name what they want to know or stop ("am I running low on credit", "what
is eating the money", "who changed the settings"), not the resource. Each group below is one
kind of need, named by the Twilio resource whose own summary says it answers it (the Balance of
an Account, Usage Records and Usage Triggers, the Debugger's Alerts, Monitor's Events, Lookup's
line type and caller name, Dialing and Messaging Geo Permissions...), with the everyday words
for it. ``search`` reads them as it reads ``search_lexicon.SYNONYMS``: a word here stands for
the Twilio words it maps to, at the strength given, below the word itself.

These words were written after reading the misses of tests/data/search_dev.tsv, so that set's
figures with them are not held-out ones (docs/benchmarks.md says which are).
"""

from __future__ import annotations

from collections.abc import Mapping

from .search_lexicon import each_word

__all__ = ["NEEDS", "NEED_PHRASES"]


NEEDS: dict[str, Mapping[str, float]] = {
    # Money: the account's Balance; what was used and what it cost (Usage Records); a warning
    # when usage passes a threshold (Usage Triggers).
    **each_word("credit credits funds prepaid topup", {"balance": 0.8}),
    **each_word("bill billing invoice money expense expensive", {"usage": 0.6}),
    **each_word("budget threshold limit warn", {"trigger": 0.6, "usage": 0.4}),
    "quota": {"usage": 0.5},
    # Something went wrong: the Debugger's Alerts, a service's Logs.
    **each_word(
        "fail failed failing fails broke breaks broken problem debug troubleshoot",
        {
            "alert": 0.5,
            "log": 0.4,
        },
    ),
    **each_word("outage downtime incident", {"alert": 0.5}),
    # What became of a message or a call: the message's status, a call that nobody answered, a
    # voicemail (a Recording).
    **each_word("undelivered arrive arrived", {"message": 0.5, "status": 0.4}),
    **each_word("missed unanswered", {"call": 0.6}),
    "voicemail": {"recording": 0.8},
    # Who did what in the account: Monitor's Events.
    **each_word("audit changed", {"event": 0.6}),
    # Who is calling: Lookup's caller name and line type.
    **each_word("spam robocall scam legit genuine cell mobile", {"lookup": 0.6}),
    # Traffic to where it should not go: Messaging Geo Permissions, voice Dialing Permissions.
    **each_word("pumping", {"geopermission": 0.8}),
    **each_word("allowed destination destinations", {"permission": 0.6, "dialing": 0.4}),
    # What was said: Transcriptions and Conversational Intelligence's Transcripts.
    **each_word("written said spoken transcribed", {"transcript": 0.6, "transcription": 0.6}),
    # Whether a sender or its content was approved: Content's approvals, A2P registrations.
    **each_word("approved approve pending", {"approval": 0.6, "status": 0.4}),
    # Chats are Conversations now (Programmable Chat is legacy).
    **each_word("chat chats", {"conversation": 0.8}),
    # An IVR is a Studio Flow; each run an Execution.
    **each_word("ivr", {"flow": 0.8, "execution": 0.6}),
    # A company name as the sender: an Alphanumeric Sender ID.
    "brand": {"alpha": 0.4},
    # Where events go: an Event Streams Sink (its kinds are Kinesis, a webhook, Segment).
    **each_word("kinesis segment", {"sink": 0.8}),
    # Push certificates and keys (APNs, FCM) are Notify Credentials.
    **each_word("apns apn fcm certificate", {"credential": 0.8}),
    # What an AI assistant knows: its Knowledge.
    **each_word("faq documentation", {"knowledge": 0.8}),
    # Where a trunk sends calls: its Origination URLs (the PBX's address).
    "pbx": {"origination": 0.8, "trunk": 0.5},
    # An agent's break or shift is a TaskRouter Activity; how much work it takes, its channel's
    # capacity.
    **each_word("break lunch shift unavailable", {"activity": 0.5}),
    "capacity": {"channel": 0.6, "worker": 0.4},
}
# Two words that together name a need.
NEED_PHRASES: dict[tuple[str, str], Mapping[str, float]] = {
    ("contact", "center"): {"workspace": 0.8, "statistic": 0.6},
    ("call", "center"): {"workspace": 0.8, "statistic": 0.6},
    ("running", "low"): {"balance": 0.8},
    ("pick", "up"): {"call": 0.6},
    ("company", "name"): {"alpha": 0.8, "sender": 0.6},
    ("toll", "fraud"): {"dialing": 0.6, "permission": 0.6},
    ("free", "number"): {"tollfree": 0.6},
}
