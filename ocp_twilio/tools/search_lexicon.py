"""The words the tool search reads a request with: data, no ranking (that is ``search``).

Words are written in lower case; ``search`` makes them singular, as it indexes words, where it
compares them with the tools' words. A strength says how much a word stands for another (1.0:
as much as that word itself) or asks for an operation verb.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ACTIONS",
    "CLAUSE_FOLLOWERS",
    "CLAUSE_WORDS",
    "CORE_SERVICE",
    "LEADING_ACTIONS",
    "LEGACY_FAMILIES",
    "LISTING_QUESTION",
    "LISTING_QUESTION_WORDS",
    "NOT_PLURAL",
    "ONLY_ACTIONS",
    "PHRASES",
    "PHRASE_ACTIONS",
    "QUESTION",
    "QUESTION_WORDS",
    "STOP_WORDS",
    "SYNONYMS",
    "WEAK_WORDS",
    "each_word",
]


def each_word(text: str, value: Mapping[str, float]) -> dict[str, Mapping[str, float]]:
    """The same ``value`` for each word of ``text``: one line of a table."""
    return {word: value for word in text.split()}


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS = """
    a an the to for of in on at by with from into onto out over up down via about as and or my
    me i we our us you your it its that these those is are be been do does can could should
    would will want need please how what which some any using use just also so there their
    them then twilio details detail info information was were has have had am being
"""

# Query words asking for an action, as operation verbs with a strength.
_CREATE = {"create": 1.0, "update": 0.2}
_FETCH = {"fetch": 1.0, "list": 0.6}
_LIST = {"list": 1.0, "fetch": 0.4}
_UPDATE = {"update": 1.0}
_DELETE = {"delete": 1.0, "update": 0.3}
ACTIONS: dict[str, Mapping[str, float]] = {
    **each_word(
        """create add new make send start place buy purchase provision open begin initiate
        trigger register invite dial post submit generate issue deploy schedule launch port
        run execute verify validate export upload store put combine merge subscribe transcribe
        exempt mark""",
        _CREATE,
    ),
    **each_word("fetch get show view see read retrieve check lookup look", _FETCH),
    **each_word("list all every history log search find browse", _LIST),
    **each_word(
        """update change edit modify set rename configure end stop terminate hang pause resume
        mute unmute hold redirect complete finish close enable disable approve redact patch
        move suspend activate deactivate reactivate point block dequeue transfer publish
        route""",
        _UPDATE,
    ),
    **each_word("delete remove release kick destroy erase purge revoke", _DELETE),
    "cancel": {"update": 1.0, "delete": 0.5},
}
# Words that ask for an action only as a request's first word: "call the customer back", not
# "list the recordings of a call".
LEADING_ACTIONS: dict[str, Mapping[str, float]] = each_word("call phone ring text alert", _CREATE)
# Words that start what a request says or why, not what it asks for: "text the customer that
# the order shipped", "pause the recording while the caller reads the card number".
CLAUSE_WORDS = _set("that so while because saying")
CLAUSE_FOLLOWERS = _set("the a an our we it they he she you i their his her")
# Action words that say nothing of the resource: dropped from the content words, unless a query
# has nothing else.
ONLY_ACTIONS = """
    create add new make get fetch show view see read retrieve list all every update change edit
    modify set delete remove look release
"""
# A request that asks a question ("who called us yesterday", "is this number a mobile") reads.
QUESTION_WORDS = _set("who what which how is are did does do can was where when")
QUESTION = {"fetch": 1.0, "list": 0.6}
# "Who is in the room", "which conversations": a question of whom or which lists.
LISTING_QUESTION_WORDS = frozenset({"who", "which"})
LISTING_QUESTION = {"list": 1.0, "fetch": 0.6}
# Words that say when, or to whom, more than what: they count for less.
WEAK_WORDS = """
    yesterday today tomorrow week month year daily monthly yearly last recent now night morning
    customer client people everyone recipient
"""
# Everyday words for Twilio's, with how much they count.
SYNONYMS: dict[str, Mapping[str, float]] = {
    **each_word("sms text mms whatsapp", {"message": 0.8}),
    **each_word("otp code passcode 2fa", {"verification": 0.8}),
    **each_word("cost rate", {"pricing": 0.8}),
    **each_word("trigger run execute", {"execution": 0.8}),
    "price": {"pricing": 1.0},
    "buy": {"purchase": 1.0},
    "subaccount": {"account": 0.8},
    # Everyday words for what Twilio names otherwise.
    **each_word("called phoned dial dialed ring", {"call": 0.8}),
    **each_word("caller callers", {"call": 0.8, "participant": 0.5, "member": 0.5}),
    **each_word("someone person attendee", {"participant": 0.5, "member": 0.5}),
    "live": {"realtime": 0.8},
    **each_word("error warning", {"notification": 0.6, "alert": 0.6}),
    **each_word("find search", {"available": 0.6}),
    **each_word("confirm confirmed confirmation", {"feedback": 0.8}),
    "alphanumeric": {"alpha": 0.8},
    **each_word("photo picture image attachment attached", {"media": 0.8}),
    "app": {"application": 0.8},
    **each_word("spend spending spent", {"usage": 0.8}),
    **each_word("stun webrtc", {"ice": 0.8}),
    **each_word("authentication authenticate mfa authenticator totp", {"factor": 0.8}),
    "push": {"notification": 0.6, "challenge": 0.4, "factor": 0.4},
    "device": {"binding": 0.6},
    "approval": {"challenge": 0.5},
    **each_word("exempt allowlist whitelist fraud", {"safelist": 0.8}),
    **each_word("carrier landline cnam valid", {"lookup": 0.8}),
    **each_word("many batch multiple several", {"bulk": 0.8}),
    **each_word(
        """germany france brazil uk britain england mexico canada spain italy india japan
        australia netherlands ireland""",
        {"country": 0.5},
    ),
    "webhook": {"url": 0.5, "callback": 0.5},
    "template": {"content": 0.6},
    "agent": {"worker": 0.8},
    **each_word("offline online busy", {"activity": 0.6}),
    "waiting": {"member": 0.5, "statistic": 0.5},
    "dequeue": {"member": 0.8},
    **each_word("combine merge", {"composition": 0.8}),
    **each_word("jitter packet latency", {"metric": 0.8}),
    "quality": {"insight": 0.6, "summary": 0.4},
    **each_word("ported porting", {"portability": 0.6, "porting": 0.8}),
    **each_word("masked masking anonymous", {"proxy": 0.8, "session": 0.4}),
    "block": {"geopermission": 0.6},
    "export": {"bulkexport": 0.8},
    "hang": {"call": 0.8},
    "who": {"participant": 0.6},
    "user": {"participant": 0.5},
    **each_word("exceed exceeds passes reaches when", {"trigger": 0.6}),
    "turn": {"ice": 0.5},
    **each_word("international allow", {"dialing": 0.6, "permission": 0.6}),
    "key": {"item": 0.6},
    "subscribe": {"subscription": 0.8},
    **each_word("requirement rule regulatory", {"regulation": 0.8}),
}
# Two words that together stand for others ("video call": a room), and two that ask for another
# action than their first ("set up" creates).
PHRASES: dict[tuple[str, str], Mapping[str, float]] = {
    ("video", "call"): {"room": 1.0},
    ("caller", "id"): {"outgoing": 0.6},
    ("right", "now"): {"real": 0.5},
}
PHRASE_ACTIONS: dict[tuple[str, str], Mapping[str, float]] = {
    ("set", "up"): _CREATE,
    ("sign", "up"): _CREATE,
    ("turn", "on"): _UPDATE,
    ("turn", "off"): _UPDATE,
    ("on", "hold"): _UPDATE,
}

# Words ending in s that are not plurals.
NOT_PLURAL = "sms mms status alias analytics news series"
# Twilio's core API, preferred a little.
CORE_SERVICE = "api_v2010"
# Services with a more usual alternative, or not generally available: Programmable Chat and its
# first name, IP Messaging (Conversations), Proxy, Preview, the Assistants beta.
LEGACY_FAMILIES = frozenset({"chat", "ip_messaging", "proxy", "preview", "assistants"})
