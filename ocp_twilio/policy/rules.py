"""An operator's policy as data: what the agent's tools may do, checked when it is made.

The same keys in code (``Policy.from_mapping({...})`` or the keyword arguments) and in a file
(``Policy.load("policy.yaml")``, see ``policy/files.py``)::

    allow: [service:api_v2010, tag:pay]        # optional: every tool when left out
    deny: [effect:delete, effect:account]
    require_approval: [effect:contacts-person, effect:spends-money]
    pin:
      createMessage: {From: "+15005550006"}   # the model's schema loses From
    limits:
      recipients: {prefixes: ["+1"], exact: ["+447700900123"]}
      amounts: {USD: 50}                       # ChargeAmount caps, per currency
      rates: [{tools: createMessage, calls: 10, per: 60s}]
      budgets: {sends: {count: 100, per: 1d}, spend: {USD: 500, per: 1d}}
    dry_run: false
    approval_timeout: 5m

Every key is checked here: an unknown one, a bad selector, an impossible limit or a duration
that is no duration is a PolicyError naming the key (the file adds its line) and the fix.
What a selector matches is checked where the policy meets the registered tools (``guard.py``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .._exceptions import PolicyError
from .selectors import Selector

__all__ = ["Budget", "Policy", "RateLimit", "Recipients"]

Where = tuple[str | int, ...]

_KEYS = ("allow", "deny", "require_approval", "pin", "limits", "dry_run", "approval_timeout")
_LIMIT_KEYS = ("recipients", "amounts", "rates", "budgets")
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_E164_PREFIX = re.compile(r"\+\d{1,15}")
# The longest a window or budget period may be: a year.
_MAX_PERIOD = 366 * 86400.0
DEFAULT_APPROVAL_TIMEOUT = 300.0


@dataclass(frozen=True)
class Recipients:
    """Who a tool that contacts a person may reach: an E.164 number under one of ``prefixes``,
    or one of ``exact`` (numbers, addresses, ``client:`` names)."""

    prefixes: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()


@dataclass(frozen=True)
class RateLimit:
    """At most ``calls`` calls of each tool ``tools`` selects in any ``per`` seconds."""

    tools: Selector
    calls: int
    per: float


@dataclass(frozen=True)
class Budget:
    """At most ``amount`` in any ``per`` seconds: sends (calls that contact a person) where
    ``currency`` is None, else the ChargeAmount of charges in that currency."""

    amount: Decimal
    per: float
    currency: str | None = None


@dataclass(frozen=True)
class Policy:
    """What the operator allows. Build it with :meth:`from_mapping` (the file's keys) or
    :meth:`load` (a YAML or TOML file); the fields are the checked result."""

    allow: tuple[Selector, ...] | None = None
    deny: tuple[Selector, ...] = ()
    require_approval: tuple[Selector, ...] = ()
    # (selector, {argument: value}) in the order given: a later pin of one argument wins.
    pin: tuple[tuple[Selector, Mapping[str, Any]], ...] = ()
    recipients: Recipients | None = None
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    rates: tuple[RateLimit, ...] = ()
    budgets: tuple[Budget, ...] = ()
    dry_run: bool = False
    approval_timeout: float = DEFAULT_APPROVAL_TIMEOUT
    # Where each rule came from ("policy.yaml line 4"), by its key path; empty from code.
    origins: Mapping[Where, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, origins: Mapping[Where, str] | None = None
    ) -> Policy:
        """The policy the mapping describes (the keys of the module's example)."""
        return _Reader(origins or {}).policy(data)

    @classmethod
    def load(cls, path: Any) -> Policy:
        """The policy in the YAML (.yaml, .yml) or TOML (.toml) file at ``path``."""
        from .files import read_policy_file

        data, origins = read_policy_file(path)
        return cls.from_mapping(data, origins=origins)

    def origin(self, where: Where) -> str:
        """Where the rule at ``where`` was written: a file's line, else its key path."""
        return rule_origin(where, self.origins)

    def selectors(self) -> list[tuple[Where, Selector]]:
        """Every selector of the policy, with its key path."""
        found: list[tuple[Where, Selector]] = []
        for key, rules in (("allow", self.allow or ()), ("deny", self.deny)):
            found.extend(((key, i), s) for i, s in enumerate(rules))
        found.extend((("require_approval", i), s) for i, s in enumerate(self.require_approval))
        found.extend((("pin", s.text), s) for s, _ in self.pin)
        found.extend((("limits", "rates", i), r.tools) for i, r in enumerate(self.rates))
        return found


def rule_origin(where: Where, origins: Mapping[Where, str]) -> str:
    """``where`` as a reader finds it: ``deny[1] (policy.yaml line 7)``."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
    for length in range(len(where), 0, -1):
        if where[:length] in origins:
            return f"{text} ({origins[where[:length]]})"
    return text


class _Reader:
    """Reads a mapping into a Policy; every problem names its key path and origin."""

    def __init__(self, origins: Mapping[Where, str]) -> None:
        self._origins = origins

    def fail(self, where: Where, problem: str) -> PolicyError:
        return PolicyError(f"Policy rule {rule_origin(where, self._origins)}: {problem}")

    def policy(self, data: Mapping[str, Any]) -> Policy:
        if not isinstance(data, Mapping):
            raise self.fail((), "a policy is a mapping of the keys " + ", ".join(_KEYS) + ".")
        self._known(data, _KEYS, ())
        limits = data.get("limits", {})
        if not isinstance(limits, Mapping):
            raise self.fail(("limits",), "must be a mapping of " + ", ".join(_LIMIT_KEYS) + ".")
        self._known(limits, _LIMIT_KEYS, ("limits",))
        allow = data.get("allow")
        return Policy(
            allow=None if allow is None else self._selectors(allow, ("allow",)),
            deny=self._selectors(data.get("deny", []), ("deny",)),
            require_approval=self._selectors(
                data.get("require_approval", []), ("require_approval",)
            ),
            pin=self._pins(data.get("pin", {})),
            recipients=self._recipients(limits.get("recipients")),
            amounts=self._amounts(limits.get("amounts", {}), ("limits", "amounts")),
            rates=self._rates(limits.get("rates", [])),
            budgets=self._budgets(limits.get("budgets", {})),
            dry_run=self._flag(data.get("dry_run", False), ("dry_run",)),
            approval_timeout=self._duration(
                data.get("approval_timeout", DEFAULT_APPROVAL_TIMEOUT), ("approval_timeout",)
            ),
            origins=dict(self._origins),
        )

    def _known(self, data: Mapping[str, Any], keys: Sequence[str], where: Where) -> None:
        for key in data:
            if key not in keys:
                close = difflib.get_close_matches(str(key), keys, n=1)
                fix = f"did you mean {close[0]!r}?" if close else "the keys are " + ", ".join(keys)
                raise self.fail((*where, str(key)), f"unknown key {key!r}: {fix}.")

    def _selectors(self, value: Any, where: Where) -> tuple[Selector, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(where, "must be a list of selectors, e.g. [effect:delete].")
        selectors = []
        for i, text in enumerate(value):
            try:
                selectors.append(Selector.parse(text))
            except ValueError as exc:
                raise self.fail((*where, i), str(exc)) from None
        return tuple(selectors)

    def _pins(self, value: Any) -> tuple[tuple[Selector, Mapping[str, Any]], ...]:
        if not isinstance(value, Mapping):
            raise self.fail(("pin",), "must map selectors to {argument: value}.")
        pins = []
        for text, arguments in value.items():
            where: Where = ("pin", str(text))
            try:
                selector = Selector.parse(text)
            except ValueError as exc:
                raise self.fail(where, str(exc)) from None
            if not isinstance(arguments, Mapping) or not arguments:
                raise self.fail(where, 'must map argument names to values, e.g. {From: "+1..."}.')
            for name, pinned in arguments.items():
                if not isinstance(name, str) or pinned is None:
                    raise self.fail((*where, str(name)), "a pin is an argument name and a value.")
            pins.append((selector, dict(arguments)))
        return tuple(pins)

    def _recipients(self, value: Any) -> Recipients | None:
        where: Where = ("limits", "recipients")
        if value is None:
            return None
        if isinstance(value, list):
            value = {"exact": value}
        if not isinstance(value, Mapping):
            raise self.fail(where, 'must be {prefixes: ["+1"], exact: ["+15005550006"]}.')
        self._known(value, ("prefixes", "exact"), where)
        prefixes = self._texts(value.get("prefixes", []), (*where, "prefixes"))
        for i, prefix in enumerate(prefixes):
            if not _E164_PREFIX.fullmatch(prefix):
                raise self.fail(
                    (*where, "prefixes", i), f"{prefix!r} is no E.164 prefix: write it as '+44'."
                )
        exact = self._texts(value.get("exact", []), (*where, "exact"))
        if not prefixes and not exact:
            raise self.fail(where, "allows nobody: give prefixes or exact recipients.")
        return Recipients(prefixes, tuple(normal_recipient(r) for r in exact))

    def _texts(self, value: Any, where: Where) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(where, "must be a list of strings.")
        return tuple(value)

    def _amounts(self, value: Any, where: Where) -> dict[str, Decimal]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "must map currencies to caps, e.g. {USD: 50}.")
        return {
            self._currency(c, (*where, str(c))): self._amount(a, (*where, str(c)))
            for c, a in value.items()
        }

    def _currency(self, code: Any, where: Where) -> str:
        if not isinstance(code, str) or not _CURRENCY.fullmatch(code):
            raise self.fail(where, f"{code!r} is no ISO 4217 currency code: write it as USD.")
        return code.upper()

    def _amount(self, value: Any, where: Where) -> Decimal:
        try:
            amount = Decimal(str(value)) if not isinstance(value, bool) else Decimal("nan")
        except InvalidOperation:
            amount = Decimal("nan")
        if not amount.is_finite() or amount < 0:
            raise self.fail(where, f"{value!r} is no amount: give a number of 0 or more.")
        return amount

    def _rates(self, value: Any) -> tuple[RateLimit, ...]:
        if not isinstance(value, list):
            raise self.fail(("limits", "rates"), "must be a list of {tools, calls, per}.")
        rates = []
        for i, rule in enumerate(value):
            where: Where = ("limits", "rates", i)
            if not isinstance(rule, Mapping):
                raise self.fail(where, "must be {tools: createMessage, calls: 10, per: 60s}.")
            self._known(rule, ("tools", "calls", "per"), where)
            try:
                selector = Selector.parse(rule.get("tools", "*"))
            except ValueError as exc:
                raise self.fail((*where, "tools"), str(exc)) from None
            calls = self._count(rule.get("calls"), (*where, "calls"))
            rates.append(RateLimit(selector, calls, self._period(rule.get("per"), (*where, "per"))))
        return tuple(rates)

    def _budgets(self, value: Any) -> tuple[Budget, ...]:
        where: Where = ("limits", "budgets")
        if not isinstance(value, Mapping):
            raise self.fail(where, "must be {sends: {count, per}, spend: {USD: 500, per}}.")
        self._known(value, ("sends", "spend"), where)
        budgets = []
        sends = value.get("sends")
        if sends is not None:
            at: Where = (*where, "sends")
            if not isinstance(sends, Mapping):
                raise self.fail(at, "must be {count: 100, per: 1d}.")
            self._known(sends, ("count", "per"), at)
            count = self._count(sends.get("count"), (*at, "count"))
            budgets.append(Budget(Decimal(count), self._period(sends.get("per"), (*at, "per"))))
        spend = value.get("spend")
        if spend is not None:
            at = (*where, "spend")
            if not isinstance(spend, Mapping) or "per" not in spend or len(spend) < 2:
                raise self.fail(at, "must be {USD: 500, per: 1d}: amounts and a period.")
            per = self._period(spend["per"], (*at, "per"))
            caps = self._amounts({k: v for k, v in spend.items() if k != "per"}, at)
            budgets.extend(Budget(amount, per, currency) for currency, amount in caps.items())
        return tuple(budgets)

    def _count(self, value: Any, where: Where) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(where, f"{value!r} allows nothing: give a whole number of 1 or more.")
        return value

    def _period(self, value: Any, where: Where) -> float:
        seconds = self._duration(value, where)
        if not 0 < seconds <= _MAX_PERIOD:
            raise self.fail(where, f"{value!r}: a period is more than 0 and at most 366d.")
        return seconds

    def _duration(self, value: Any, where: Where) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str) and (found := _DURATION.fullmatch(value)):
            seconds = float(found[1]) * _SECONDS[found[2]]
        else:
            raise self.fail(where, f"{value!r} is no duration: give seconds, or 90s, 5m, 1h, 1d.")
        if not 0 < seconds < float("inf"):
            raise self.fail(where, f"{value!r}: a duration is more than 0.")
        return seconds

    def _flag(self, value: Any, where: Where) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"{value!r}: give true or false.")
        return value


_CHANNELS = ("whatsapp:", "sms:", "mms:", "rcs:", "tel:")


def normal_recipient(text: str) -> str:
    """A recipient as limits compare it: without a channel prefix (``whatsapp:+1...`` is the
    number), spaces and dashes out of numbers, case folded."""
    lowered = text.strip().lower()
    for channel in _CHANNELS:
        if lowered.startswith(channel):
            lowered = lowered[len(channel) :].strip()
            break
    if lowered.startswith("+"):
        lowered = "+" + re.sub(r"[\s().-]", "", lowered[1:])
    return lowered
