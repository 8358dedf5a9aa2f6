"""Ranked search over tools for everyday requests ("send a text", "buy a phone number").

A tool is known by the words of its operation name (``createIncomingPhoneNumber``: the action
*create* on the resource *incoming phone number*), its tags, service and path, its description
and its arguments' names. A query is read as an action and content words:

- Verbs map onto the operation's own verb: "send", "buy", "start" ask for ``create``; "get",
  "look up" for ``fetch`` (or ``list``); "hang up", "cancel", "end" for ``update``; "remove",
  "release" for ``delete``; "list", "all", "logs" and plural nouns for ``list``. Where nothing
  can create (or delete) what is asked for, a tool that changes it is the next best. The first
  verb says what to do ("delete a text message"); "call", "text" ask for it only as the first
  word; two words may ask together ("set up" creates, "put ... on hold" changes); a question
  ("who called us yesterday", "is this number a mobile") only reads, whatever its other verbs.
- A clause that says what to send or why ("... that the order shipped", "... while the caller
  reads the card number") is left out; words of when and to whom ("yesterday", "customer")
  count less.
- Content words count more in the name than in tags, service and path, more there than in the
  description, and more the rarer they are. Everyday words also find Twilio's ("sms", "text" find
  *message*; "otp", "code" find *verification*), two words find their compound ("look up":
  *lookup*), and a word finds others of its stem ("deploy": *deployment*), each for less.
- A tool whose name is mostly made of the query's words beats one where they are a small part,
  and one whose resource is the request's first content word ("the participants of a
  conversation": *participant*) is preferred a little.
- Twilio's core API (``api_v2010``) is preferred a little; legacy services (Programmable Chat,
  Proxy, Preview...) and an operation that a newer version of its service also has are preferred
  less; so are operations nested under another resource ("/Trunks/{TrunkSid}/PhoneNumbers"),
  unless the query names it. These priors are small factors: they reorder tools that match the
  query about as well.
- Between tools that match equally, reading comes before writing, and deleting last.
- What a request carries besides words (``search_signals``) is read first: SIDs, phone numbers,
  email addresses and dates are taken out of its words, and the tools a SID's resource or a
  phone number points to (from the spec's own patterns and formats) are added to the words'
  scores, at half the best match's weight, so a request of only a SID still finds its tools.
- A word of five letters or more that neither the tools, the tables nor English know
  (``pyspellchecker``'s dictionary) is read as the nearest word the tools or tables know
  (``rapidfuzz``): one edit away, two for words of eight letters or more, a swap of neighbours
  one edit ("whatsap", "recieved"). A real word the tools lack ("still") is never respelt into
  one they have ("skill"), nor a number, nor a word written as a name ("iPhones", "Verizon").

The words themselves (verbs, synonyms, phrases, stop and weak words, Twilio's core and legacy
services) are data, in ``search_lexicon``, and so are the everyday words for kinds of need
("credit": the account's balance; "budget": a usage trigger), in ``search_needs``, read as
synonyms and phrases are; this module ranks. Deterministic; ``benchmarks/search_quality.py``
measures its hits and speed.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from .search_lexicon import (
    ACTIONS,
    CLAUSE_FOLLOWERS,
    CLAUSE_WORDS,
    CORE_SERVICE,
    LEADING_ACTIONS,
    LEGACY_FAMILIES,
    LISTING_QUESTION,
    LISTING_QUESTION_WORDS,
    NOT_PLURAL,
    ONLY_ACTIONS,
    PHRASE_ACTIONS,
    PHRASES,
    QUESTION,
    QUESTION_WORDS,
    STOP_WORDS,
    SYNONYMS,
    WEAK_WORDS,
)
from .search_needs import NEED_PHRASES, NEEDS
from .search_signals import SignalIndex
from .tool import Tool

if TYPE_CHECKING:
    from spellchecker import SpellChecker

__all__ = ["ToolSearch"]

_K = TypeVar("_K", str, tuple[str, str])

# camelCase and acronyms: "IncomingPhoneNumber" -> incoming phone number, "SIPDomain" -> sip domain
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_VERSIONED = re.compile(r"(.+)_v(\d+)$")
_PARAMETER = re.compile(r"\{([^}]*)\}")
_LETTERS = re.compile(r"[A-Za-z]+")
_NOT_A_NAME = re.compile(r"\{|v?\d")  # path parameters and versions: {Sid}, v1, 2010-04-01
# Where a word is found, and how much that says about the tool.
_NAME_WEIGHT, _TAG_WEIGHT, _TEXT_WEIGHT, _PARAMETER_WEIGHT = 3.0, 2.0, 1.0, 0.5
# How much a word counts when the tool has only a synonym, or a word of the same stem.
_RELATED_FACTOR = 0.6
_STEM = 6  # the shortest word with others of its stem
# How much the operation's verb matching the query's action lifts a tool.
_ACTION_LIFT = 0.6
# How much a word that asks for an action ("send") counts as a content word too.
_ACTION_WORD_FACTOR = 0.5
# Between tools that match equally, reading before writing, and deleting last.
_VERB_ORDER = {verb: i for i, verb in enumerate(("fetch", "list", "create", "update", "delete"))}
# How much a plural noun ("recordings") asks for a list.
_PLURAL_LIST = 0.5
_CORE_PRIOR, _LEGACY_PRIOR, _SUPERSEDED_PRIOR, _NESTED_PRIOR = 1.2, 0.7, 0.8, 0.93
# Tools answered in this process (payment progress) serve the API's operations: below them.
_LOCAL_PRIOR = 0.5
# How much a word of when or to whom ("yesterday", "customer") counts.
_WEAK_FACTOR = 0.3
# How much the tools a request's SIDs or phone numbers point to count beside its words (whose
# best match counts 1): measured on tests/data/search_dev.tsv (0.5 to 2 tried).
_SIGNAL_WEIGHT = 0.5
# How much a tool whose resource is the request's first content word ("the participants of a
# conversation": participant) is preferred to one that only has the word.
_HEAD_LIFT = 1.15
# Misspelt words: the shortest word read for one, and the shortest that may be two letters off.
_SPELLED, _LONG_WORD = 5, 8


def _normal(word: str) -> str:
    """Lower case and singular: how every word is indexed and looked up.

    Crude but the same on both sides: countries -> country, addresses -> address, sims -> sim,
    status stays, sms -> sm.
    """
    lower = word.lower()
    if len(lower) > 4 and lower.endswith("ies"):
        return lower[:-3] + "y"
    if lower.endswith("sses"):
        return lower[:-2]
    if len(lower) > 2 and lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return lower[:-1]
    return lower


def _is_plural(word: str) -> bool:
    lower = word.lower()
    return len(lower) > 3 and _normal(lower) != lower and lower not in _NOT_PLURALS


def _merged(
    first: Mapping[_K, Mapping[str, float]], second: Mapping[_K, Mapping[str, float]]
) -> dict[_K, dict[str, float]]:
    """Two tables of words for others in one; where both have a word, its stronger factors."""
    merged: dict[_K, dict[str, float]] = {k: dict(v) for k, v in first.items()}
    for key, words in second.items():
        into = merged.setdefault(key, {})
        for word, factor in words.items():
            into[word] = max(into.get(word, 0.0), factor)
    return merged


def _normal_table(table: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {_normal(k): {_normal(w): f for w, f in v.items()} for k, v in table.items()}


_ACTION_OF = _normal_table(ACTIONS)
_SYNONYMS_OF = _normal_table(_merged(SYNONYMS, NEEDS))
_PHRASES = _merged(PHRASES, NEED_PHRASES)
_STOP = frozenset(_normal(w) for w in STOP_WORDS.split())
_ONLY_ACTION = frozenset(_normal(w) for w in ONLY_ACTIONS.split())
_WEAK = frozenset(_normal(w) for w in WEAK_WORDS.split())
_NOT_PLURALS = frozenset(NOT_PLURAL.split())


@dataclass(frozen=True, slots=True)
class _Query:
    # One entry a content word: the index words that stand for it, each with its factor.
    terms: tuple[Mapping[str, float], ...]
    # Operation verbs asked for, with a strength.
    actions: Mapping[str, float]
    # The first content word and its synonyms: what the request is about.
    head: frozenset[str] = frozenset()


class ToolSearch:
    """Tools ranked for a query: see the module's documentation for how.

    Built once per set of tools: word -> {tool position: best weight}; tools of two APIs may
    share a name.
    """

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = list(tools)
        postings: defaultdict[str, dict[int, float]] = defaultdict(dict)
        self._verbs: list[str] = []
        self._resources: list[frozenset[str]] = []
        self._heads: list[str] = []  # the last word of the resource: incoming phone *number*
        normal: dict[str, str] = {}  # the same words recur: normalise each once

        def words(text: str) -> list[str]:
            return [normal.get(w) or normal.setdefault(w, _normal(w)) for w in _WORD.findall(text)]

        for position, tool in enumerate(self._tools):
            spec = tool.spec
            name = words(spec.name)  # createIncomingPhoneNumber: create, incoming phone number
            verb, resource = (name[0], name[1:]) if len(name) > 1 else ("", name)
            self._verbs.append(verb)
            self._resources.append(frozenset(resource) - _STOP)
            self._heads.append(resource[-1] if resource else "")
            fields = (
                (name + words(_family(spec.service)[0]), _NAME_WEIGHT),
                (words(" ".join((*spec.tags, _path_text(spec.path)))), _TAG_WEIGHT),
                (words(spec.description), _TEXT_WEIGHT),
                (words(" ".join(p.name for p in spec.parameters)), _PARAMETER_WEIGHT),
            )
            weights: dict[str, float] = {}
            for found, weight in fields:  # heaviest first: a word keeps its best place
                for word in found:
                    weights.setdefault(word, weight)
            for word, weight in weights.items():
                postings[word][position] = weight
        self._signals = SignalIndex(self._tools)
        self._named = frozenset(w for w, p in postings.items() if _NAME_WEIGHT in p.values())
        self._postings = dict(postings)
        stems: defaultdict[str, list[str]] = defaultdict(list)  # by their first five letters
        for word in self._postings:
            if len(word) >= _STEM:
                stems[word[:5]].append(word)
        self._stems = dict(stems)
        self._priors = _priors(self._tools)
        # A request that is a tool's name, short or full, in any letter case.
        by_name: defaultdict[str, list[int]] = defaultdict(list)
        for position, tool in enumerate(self._tools):
            for spelled in {tool.spec.name.lower(), tool.name.lower()}:
                by_name[spelled].append(position)
        self._by_name = dict(by_name)
        known = {*self._postings, *_SYNONYMS_OF, *_ACTION_OF, *_STOP, *_WEAK}
        known.update(w for pair in _PHRASES for w in pair)
        self._known = frozenset(known)
        self._spellings = sorted(w for w in self._known if len(w) >= _SPELLED - 1)
        _english()  # loaded with the index, so that no search waits for it

    def search(
        self, query: str, limit: int, keep: Callable[[Tool], bool] | None = None
    ) -> list[Tool]:
        """The best ``limit`` tools for ``query``; with ``keep``, of those it keeps."""
        return self.ranked(self.scores(query), limit, keep)

    def scores(self, query: str) -> dict[int, float]:
        """Each matching tool's score, by its position in the tools given, the best match of
        the request's words 1 and a tool the request names above all: what ``search`` ranks (a
        benchmark may blend others in)."""
        named = self._by_name.get(query.strip().lower(), ())
        signals = self._signals.read(query)
        understood = self._understand(signals.text)
        lexical = self._lexical(understood)
        # The words' scores, the best 1, and what the request's arguments point to beside them.
        top = max(lexical.values(), default=1.0)
        fused = {position: score / top for position, score in lexical.items()}
        for position, weight in signals.tools.items():
            fused[position] = (
                fused.get(position, 0.0) + _SIGNAL_WEIGHT * weight * self._priors[position]
            )
        first = max(fused.values(), default=0.0) + 1.0
        for position in named:  # the tool it names comes first
            fused[position] = first
        return fused

    def ranked(
        self, scores: Mapping[int, float], limit: int, keep: Callable[[Tool], bool] | None = None
    ) -> list[Tool]:
        """The best ``limit`` tools of ``scores`` (that ``keep`` keeps); between equal scores,
        reading before writing and deleting last, then the shorter name."""
        ranked: list[tuple[float, int, int, str, str, int]] = []
        for position, score in scores.items():
            tool = self._tools[position]
            order = _VERB_ORDER.get(self._verbs[position], len(_VERB_ORDER))
            ranked.append((-score, order, len(tool.name), tool.name, tool.api, position))
        ranked.sort()
        tools = (self._tools[entry[-1]] for entry in ranked)
        return list(itertools.islice(tools if keep is None else filter(keep, tools), limit))

    def _lexical(self, understood: _Query) -> dict[int, float]:
        """The lexicon's score of each tool that shares a word with the request."""
        total = len(self._tools)
        scores: defaultdict[int, float] = defaultdict(float)
        wanted: set[str] = set()
        for term in understood.terms:
            best: dict[int, float] = {}
            for word, factor in term.items():
                posting = self._postings[word]
                wanted.add(word)
                weight = factor * math.log(1 + total / len(posting))
                for position, field_weight in posting.items():
                    best[position] = max(best.get(position, 0.0), field_weight * weight)
            for position, value in best.items():
                scores[position] += value

        actions = understood.actions
        lexical: dict[int, float] = {}
        for position, score in scores.items():
            resource = self._resources[position]
            named = len(resource & wanted) / len(resource) if resource else 0.0
            lift = 1 + _ACTION_LIFT * actions.get(self._verbs[position], 0.0)
            final = score * (0.5 + 0.5 * named) * lift * self._priors[position]
            if self._heads[position] in understood.head:
                final *= _HEAD_LIFT
            lexical[position] = final
        return lexical

    def _understand(self, query: str) -> _Query:
        names = _names(query)
        raw = _request(
            [w if w in names else self._spelled(w) for w in _WORD.findall(query.lower())]
        )
        words = [_normal(w) for w in raw]
        question = (
            (LISTING_QUESTION if raw[0] in LISTING_QUESTION_WORDS else QUESTION)
            if raw and raw[0] in QUESTION_WORDS
            else None
        )
        actions: dict[str, float] = {}
        head = ""
        listing = 0.0  # how much "list", "all", "logs", plural nouns ask for a list
        content: dict[str, float] = {}
        consumed: dict[str, float] = {}
        previous = ""
        for index, (original, word) in enumerate(zip(raw, words, strict=True)):
            if word in _STOP:
                previous = ""
                continue
            leading = LEADING_ACTIONS.get(word, {}) if index == 0 else {}
            action = _ACTION_OF.get(word, {}) or leading
            # After a noun, "list" is one: "add an item to a sync list".
            noun = word in _ONLY_ACTION and bool(previous) and previous not in _ACTION_OF
            previous = word
            if noun:
                action = {}
            lists = bool(action) and max(action, key=action.__getitem__) == "list"
            if lists:
                listing = max(listing, action["list"])
            elif not actions:  # the first verb says what to do: "delete a text message"
                actions.update(action)
            if word in _ONLY_ACTION and not noun:
                consumed[word] = 1.0
                continue
            if _is_plural(original) and not lists:
                listing += _PLURAL_LIST
            # A verb counts in full where tools have it in their name (Verify, VerificationCheck)
            # and less where only descriptions have it ("Send a message"); a word asking for a
            # list ("logs", "history") says how many, not what.
            named = not action or (word in self._named and not lists)
            content[word] = _WEAK_FACTOR if word in _WEAK else 1.0 if named else _ACTION_WORD_FACTOR
            # What the request is about: its first content word, or a list it names ("logs").
            if not head and (content[word] == 1.0 or (lists and word in self._named)):
                head = word
        # "Delete all recordings" deletes: asking for a list counts where nothing is changed.
        if listing and not actions.keys() & {"create", "update", "delete"}:
            actions["list"] = actions.get("list", 0.0) + listing
        for pair in itertools.pairwise(words):
            for word, factor in _PHRASES.get(pair, {}).items():
                content[word] = max(content.get(word, 0.0), factor)
            if pair in PHRASE_ACTIONS:
                actions = dict(PHRASE_ACTIONS[pair])
        if question:  # what a question's other verbs ask for is not done, only looked at
            actions = {**question, "list": max(question["list"], actions.get("list", 0.0))}
        # Two words written apart that the tools write as one: "look up" -> lookup.
        for first, second in itertools.pairwise(words):
            if first not in _STOP and first + second in self._postings:
                content[first + second] = 1.0
        terms: list[dict[str, float]] = []
        for word, factor in (content or consumed).items():
            term = self._alternatives(word, factor)
            # Two words for one thing ("a picture message with the photo") count once.
            if term and all(term.keys() != other.keys() for other in terms):
                terms.append(term)
        heads = frozenset({head, *_SYNONYMS_OF.get(head, {})}) if head else frozenset()
        return _Query(tuple(terms), actions, heads)

    def _spelled(self, word: str) -> str:
        """A word no tool or table knows, spelt as the nearest one that is known: one letter
        apart (two for long words), a swap of neighbours counting one."""
        known = word in self._known or _normal(word) in self._known
        if len(word) < _SPELLED or not word.isalpha() or known:  # numbers are never respelt
            return word
        if _english().known((word,)):  # a real word the tools do not have: "still", not "skill"
            return word
        limit = 1 if len(word) < _LONG_WORD else 2
        # Known words are singular: a plural is respelt singular and keeps its "s" ("recrodings").
        plural = "s" if _is_plural(word) else ""
        near = _near(_normal(word), self._spellings, limit)
        # The nearest; between words as near, the one more tools have.
        best = min(near, key=lambda n: (n[1], -len(self._postings.get(n[0], ()))), default=None)
        return best[0] + plural if best else word

    def _alternatives(self, word: str, factor: float) -> dict[str, float]:
        """The index words that stand for a query word, with their factors: itself and its
        synonyms (times ``factor``), and words of their stem ("deploy": deployment)."""
        found: dict[str, float] = {}
        for alike, alike_factor in ((word, factor), *_SYNONYMS_OF.get(word, {}).items()):
            weights = {alike: alike_factor}
            # A verb counts less as a content word, not the noun of its stem: "deploy" finds
            # deployment as "deployment" would.
            related = _RELATED_FACTOR * (alike_factor if alike != word else 1.0)
            for other in self._stems.get(alike[:5], ()) if len(alike) >= _STEM else ():
                if other != alike and _same_stem(alike, other):
                    weights[other] = related
            for other, weight in weights.items():
                if other in self._postings and found.get(other, 0.0) < weight:
                    found[other] = weight
        return found


# The spelling's libraries are imported with the first index, so that importing the package,
# which most commands do without searching, stays quick.
@functools.cache
def _english() -> SpellChecker:
    from spellchecker import SpellChecker

    return SpellChecker(distance=1)


def _near(word: str, words: list[str], limit: int) -> list[tuple[str, float, int]]:
    """The words at most ``limit`` edits from ``word``, a swap of neighbours one edit."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    # rapidfuzz's overloads do not name its own distance scorers: their result is (word, edits,
    # index).
    extract: Callable[..., list[tuple[str, float, int]]] = process.extract
    return extract(word, words, scorer=OSA.distance, score_cutoff=limit, limit=None)


def _names(query: str) -> frozenset[str]:
    """The request's words written as names, lower case: with a capital after the first letter
    ("iPhone", "WhatsApp") or a capital first letter after the request's first word ("Verizon"),
    which are never respelt: "iPhones" is no misspelt "phones"."""
    return frozenset(
        word.lower()
        for index, word in enumerate(_LETTERS.findall(query))
        if not word[1:].islower() or (index and word[0].isupper())
    )


def _request(raw: list[str]) -> list[str]:
    """The words of the request itself, without a clause that says what to send or why."""
    for index in range(1, len(raw) - 1):
        if raw[index] in CLAUSE_WORDS and raw[index + 1] in CLAUSE_FOLLOWERS:
            return raw[:index]
    return raw


def _priors(tools: list[Tool]) -> list[float]:
    """Core API up; legacy services, operations a newer version also has, nested ones down."""
    versions = [_family(t.spec.service) for t in tools]
    newest: dict[str, int] = {}
    for family, version in versions:
        newest[family] = max(newest.get(family, 0), version)
    latest = {
        (v[0], t.spec.name) for t, v in zip(tools, versions, strict=True) if v[1] == newest[v[0]]
    }
    priors = []
    for tool, (family, version) in zip(tools, versions, strict=True):
        prior = _NESTED_PRIOR ** _nesting(tool.path)
        if tool.local:
            prior *= _LOCAL_PRIOR
        if tool.spec.service == CORE_SERVICE:
            prior *= _CORE_PRIOR
        elif family in LEGACY_FAMILIES:
            prior *= _LEGACY_PRIOR
        if version < newest[family] and (family, tool.spec.name) in latest:
            prior *= _SUPERSEDED_PRIOR
        priors.append(prior)
    return priors


def _family(service: str) -> tuple[str, int]:
    """A service's family and version: "studio_v2" -> ("studio", 2), "preview" -> ("preview", 0)."""
    versioned = _VERSIONED.fullmatch(service)
    return (versioned.group(1), int(versioned.group(2))) if versioned else (service, 0)


def _nesting(path: str) -> int:
    """How many resources the path names a tool's resource under: its parameters but the last,
    the account's aside. "/v1/Services/{ServiceSid}/Builds/{Sid}" -> 1."""
    path = path.removesuffix(".json")
    parameters = _PARAMETER.findall(path)
    if path.endswith("}"):
        parameters.pop()
    return sum(p != "AccountSid" for p in parameters)


def _path_text(path: str) -> str:
    """The path's fixed segments: "/v1/Services/{Sid}/Builds" -> "Services Builds"."""
    segments = path.removesuffix(".json").split("/")
    return " ".join(s for s in segments if s and not _NOT_A_NAME.match(s))


def _same_stem(word: str, other: str) -> bool:
    """Words of six letters or more that share a start of at least 80% of the shorter one:
    deploy and deployment, verify and verification; not count and country."""
    shorter = min(len(word), len(other))
    shared = next((i for i, (a, b) in enumerate(zip(word, other, strict=False)) if a != b), shorter)
    return shorter >= _STEM and shared >= 0.8 * shorter
