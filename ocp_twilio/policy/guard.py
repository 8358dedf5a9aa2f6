"""The policy in force: each registered tool's rules, compiled once, and the one check every call
passes before anything is sent.

``OCPAgent.call_tool`` calls :meth:`PolicyGuard.check` for every call, whatever the way in (the
adapters, callTwilioTool, the MCP servers, registry tools, the CLI). It decides on the tool the
name resolved to and on the arguments the call will send (the operator's pins included), so
another name, an alias or a repeated pinned argument changes nothing. A refused call raises
CallRefused, which says what the policy allows; nothing is sent.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, Protocol

import jsonschema

from .._exceptions import CallRefused, OCPError, PolicyError
from ..http.dispatch import Attempts
from ..specs.effects import EFFECT_WORDS, recipient_arguments
from ..specs.names import CALL_TOOL
from ..tools.masking import masked_arguments
from ..tools.tool import Tool
from .approval import Approval, ApprovalRequest, Approver, ask
from .audit import AuditLog, Decision
from .rules import Budget, Policy, RateLimit, Where, normal_recipient, rule_origin
from .selectors import Selector


class Runner(Protocol):
    """What the guard needs of a tool's runner (``_running.Runner`` is one)."""

    def render(self, tool: Tool, arguments: Mapping[str, Any]) -> Mapping[str, Any] | None: ...

    def delegate(
        self, tool: Tool, arguments: Mapping[str, Any]
    ) -> tuple[Tool, Runner, Mapping[str, Any]] | None: ...


class Call(Protocol):
    """What the guard reads of one call's settings (``_running.Call`` is one)."""

    @property
    def tool_call_id(self) -> str | None: ...

    @property
    def approver(self) -> Approver | None: ...

    @property
    def attempts(self) -> Attempts | None: ...


__all__ = ["Checked", "PolicyGuard", "RuleReport"]

CHARGE_AMOUNT = "ChargeAmount"
CURRENCY = "Currency"
# Twilio's currency for a charge that names none.
DEFAULT_CURRENCY = "USD"
SPENDS_MONEY = "spends-money"
CONTACTS_PERSON = "contacts-person"
# Pay sessions this agent created, to know what completing one charges: bounded, oldest out.
_MAX_SESSIONS = 10_000


class Checked:
    """A call the policy lets through other than as given: the arguments to run (a frozen copy
    where approval was asked for), or a dry run's answer in ``result``."""

    __slots__ = ("arguments", "dry_run", "remember_session", "reserved", "result")

    def __init__(
        self,
        arguments: Mapping[str, Any],
        result: Any = None,
        *,
        dry_run: bool = False,
        remember_session: bool = False,
        reserved: tuple[tuple[deque[Any], Any], ...] = (),
    ) -> None:
        self.arguments = arguments
        self.result = result
        self.dry_run = dry_run
        # A Pay session the call creates: what completing it will charge is noted.
        self.remember_session = remember_session
        # What the call took from rate windows and budgets: given back if nothing was sent.
        self.reserved = reserved


@dataclass(frozen=True)
class RuleReport:
    """What one rule of the policy selects among the registered tools: ``rule`` says where it
    is written, ``selector`` how."""

    rule: str
    matches: tuple[str, ...]
    selector: str


Rule = tuple[str, Selector]  # (where it was written, what it selects)


@dataclass(slots=True)
class _ToolRules:
    """The policy as it applies to one tool, compiled when the tool is first called: only the
    rules some call of it may meet, so that a call reads nothing else."""

    # Decided without the arguments: a deny or allow rule on what the tool always is.
    refusal: tuple[str, str] | None = None
    # Effect rules that the arguments decide (updatePayments completing a charge).
    deny: tuple[Rule, ...] = ()
    allow: tuple[Selector, ...] = ()  # empty: every call is allowed
    approval: tuple[Rule, ...] = ()
    rates: tuple[tuple[int, RateLimit], ...] = ()
    budgets: tuple[tuple[int, Budget], ...] = ()
    reached: tuple[str, ...] = ()  # the arguments naming whom a call reaches
    recipients: tuple[str, ...] | None = None  # None: not checked
    listens: bool = False  # a local tool whose recipients are who it reads from
    amounts: bool = False
    charges: bool = False
    # Nothing to check or count: allowed as it is.
    plain: bool = False


class PolicyGuard:
    """``policy`` in force for one agent: its approver, audit record, windows and budgets."""

    def __init__(self, policy: Policy, approver: Approver | None, audit: AuditLog) -> None:
        self.policy = policy
        self.approver = approver
        self.audit = audit
        self._compiled: dict[int, tuple[Tool, _ToolRules]] = {}
        # Times of the calls each rate rule counted, by (rule index, tool name).
        self._windows: dict[tuple[int, str], deque[float]] = {}
        # (time, amount) spent or sent under each budget, by budget index.
        self._spent: dict[int, deque[tuple[float, Decimal]]] = {}
        self._sessions: OrderedDict[str, tuple[Decimal, str]] = OrderedDict()
        # Whether the rules were checked against the registered tools (see OCPAgent.use_policy).
        self.matched = False

    # --- what the rules select ---------------------------------------------------------------

    def pins_for(self, tool: Tool) -> dict[str, Any]:
        """The arguments the policy pins for ``tool``: later pins of an argument win."""
        names = {p.name for p in tool.spec.parameters}
        pins: dict[str, Any] = {}
        for selector, arguments in self.policy.pin:
            if selector.could_match(tool):
                pins.update((k, v) for k, v in arguments.items() if k in names)
        if pins:
            _check_pins(tool, pins, self.policy)
        return pins

    def match(self, tools: Sequence[Tool], compact: Iterable[Tool]) -> None:
        """Check the rules against the registered ``tools`` (and the ``compact`` ones): a pin no
        tool takes, or a rule that selects none, is a PolicyError."""
        self.check_pins(tools)
        self.check_matches([*tools, *compact])
        self.matched = True

    def check_pins(self, tools: Iterable[Tool]) -> None:
        """PolicyError for a pin that no tool its rule selects can take (a misspelt argument:
        ``from`` for ``From``), or one a tool cannot take as given."""
        tools = list(tools)
        for selector, arguments in self.policy.pin:
            chosen = [t for t in tools if selector.could_match(t)]
            taken = {p.name for t in chosen for p in t.spec.parameters}
            for name in arguments:
                if name not in taken:
                    where = rule_origin(("pin", selector.text, name), self.policy.origins)
                    raise PolicyError(
                        f"Policy rule {where}: no tool that {selector.text} selects takes an "
                        f"argument {name!r} (names are case-sensitive); fix or remove it."
                    )
        for tool in tools:
            self.pins_for(tool)

    def report(self, tools: Iterable[Tool]) -> list[RuleReport]:
        """Each rule and the tools it selects (a pin: those that have its arguments)."""
        tools = list(tools)
        reports = []
        for where, selector in self.policy.selectors():
            chosen = [t for t in tools if selector.could_match(t)]
            if where[0] == "pin":
                pinned = dict(self.policy.pin)[selector]
                chosen = [t for t in chosen if {p.name for p in t.spec.parameters} & set(pinned)]
            matches = tuple(t.name for t in chosen)
            reports.append(RuleReport(self.policy.origin(where), matches, selector.text))
        return reports

    def check_matches(self, tools: Iterable[Tool]) -> None:
        """PolicyError naming the first rule that selects none of ``tools``."""
        for report in self.report(tools):
            if not report.matches:
                raise PolicyError(
                    f"Policy rule {report.rule} selects no registered tool: fix its name (see "
                    "`ocp-twilio policy check`), register the API it is for, or remove it."
                )

    def refuses(self, tool: Tool) -> bool:
        """Whether every call of ``tool`` is refused, whatever its arguments."""
        return self._rules(tool).refusal is not None

    def forget(self) -> None:
        """Compile again on the next call: the registered tools changed."""
        self._compiled.clear()

    # --- the check -----------------------------------------------------------------------------

    async def check(
        self, tool: Tool, runner: Runner, arguments: Mapping[str, Any], call: Call
    ) -> Checked | None:
        """None: run the call as given; a Checked: run it as that says; else CallRefused. Every
        decision is audited."""
        rules = self._rules(tool)
        if rules.plain:
            self._note(tool, "allowed", None, call)
            return None
        if rules.refusal is not None:
            self._refuse(tool, call, *rules.refusal)
        sent = tool.with_pins(arguments)
        effects = self._effects(tool, sent)
        self._check_call(tool, rules, sent, effects, call)
        if self.policy.dry_run:
            return self._dry_run(tool, runner, arguments, call)
        reasons = tuple(where for where, s in rules.approval if s.matches(tool, effects))
        if rules.budgets and SPENDS_MONEY in effects:
            reasons += self._unknown_cost(rules, sent)
        if reasons:
            arguments = copy.deepcopy(dict(arguments))  # what is approved is what runs
            approver = call.approver or self.approver
            if approver is None:
                raise self._no_way_to_ask(tool, reasons[0], call)
            request = self._request(tool, runner, arguments, effects, reasons, call.tool_call_id)
            approval = await ask(approver, request, self.policy.approval_timeout)
            decision: Decision = "approved" if approval.approved else "declined"
            self._note(tool, decision, reasons[0], call, approval)
            if not approval.approved:
                why = f" ({approval.reason})" if approval.reason else ""
                raise CallRefused(
                    tool.name,
                    reasons[0],
                    f"the call needs a person's approval and was declined{why}.",
                )
            sent = tool.with_pins(arguments)
            self._check_call(tool, rules, sent, effects, call)  # limits may have moved meanwhile
        else:
            self._note(tool, "allowed", None, call)
        reserved = self._count(tool, rules, sent, effects) if rules.rates or rules.budgets else ()
        return Checked(arguments, remember_session=rules.charges, reserved=reserved)

    def release(self, checked: Checked) -> None:
        """Give back what a call took from the windows and budgets: it sent nothing."""
        for entries, entry in checked.reserved:
            with contextlib.suppress(ValueError):  # already out of its window
                entries.remove(entry)

    def preview(
        self, tool: Tool, runner: Runner, arguments: Mapping[str, Any]
    ) -> ApprovalRequest | None:
        """The approval the call would ask for; None where it would run, or be refused, without
        one. For a framework's own approval step, which asks before the call runs."""
        delegated = runner.delegate(tool, arguments)
        if delegated is not None:
            tool, runner, arguments = delegated
        rules = self._rules(tool)
        if rules.plain or rules.refusal is not None or self.policy.dry_run:
            return None
        sent = tool.with_pins(arguments)
        effects = self._effects(tool, sent)
        reasons = tuple(where for where, s in rules.approval if s.matches(tool, effects))
        if rules.budgets and SPENDS_MONEY in effects:
            reasons += self._unknown_cost(rules, sent)
        if not reasons:
            return None
        try:
            return self._request(tool, runner, arguments, effects, reasons, None)
        except OCPError:  # invalid arguments: the call fails before any approval is needed
            return None

    def remember(self, tool: Tool, arguments: Mapping[str, Any], result: Any) -> None:
        """Note the Pay session a call created: what completing it will charge."""
        sid = result.get("sid") if isinstance(result, Mapping) else None
        charge = _charge(arguments)
        if isinstance(sid, str) and charge is not None:
            self._sessions[sid] = charge
            self._sessions.move_to_end(sid)
            while len(self._sessions) > _MAX_SESSIONS:
                self._sessions.popitem(last=False)

    # --- helpers ------------------------------------------------------------------------------

    def _rules(self, tool: Tool) -> _ToolRules:
        found = self._compiled.get(id(tool))
        if found is not None and found[0] is tool:
            return found[1]
        rules = self._compile(tool)
        self._compiled[id(tool)] = (tool, rules)
        return rules

    def _compile(self, tool: Tool) -> _ToolRules:
        if tool.spec.name == CALL_TOOL and not tool.path:  # compact mode's, no operation
            return self._compile_router(tool)
        policy = self.policy
        rules = _ToolRules()
        effects = tool.effects | tool.possible_effects
        for i, selector in enumerate(policy.deny):
            if selector.matches(tool, tool.effects):
                rules.refusal = (policy.origin(("deny", i)), _denied(selector))
                return rules
        rules.deny = tuple(
            (policy.origin(("deny", i)), s)
            for i, s in enumerate(policy.deny)
            if s.could_match(tool)
        )
        if policy.allow is not None and not any(
            s.matches(tool, tool.effects) for s in policy.allow
        ):
            rules.allow = tuple(s for s in policy.allow if s.could_match(tool))
            if not rules.allow:
                allowed = ", ".join(s.text for s in policy.allow)
                rules.refusal = ("allow", f"the policy allows only: {allowed}.")
                return rules
        rules.approval = tuple(
            (policy.origin(("require_approval", i)), s)
            for i, s in enumerate(policy.require_approval)
            if s.could_match(tool)
        )
        rules.rates = tuple(
            (i, rate) for i, rate in enumerate(policy.rates) if rate.tools.could_match(tool)
        )
        rules.budgets = tuple(
            (i, budget)
            for i, budget in enumerate(policy.budgets)
            if (CONTACTS_PERSON if budget.currency is None else SPENDS_MONEY) in effects
        )
        rules.reached = recipient_arguments(tool.spec)
        # A tool that listens to a person (waitForReply) is limited as one that contacts them.
        listens = tool.local and bool(rules.reached)
        if policy.recipients is not None and (CONTACTS_PERSON in effects or listens):
            rules.recipients = rules.reached
            rules.listens = listens
        takes_charges = any(p.name == CHARGE_AMOUNT for p in tool.spec.parameters)
        rules.amounts = takes_charges and bool(policy.amounts)
        rules.charges = takes_charges and self._minds_spending()
        rules.plain = not (
            rules.deny
            or rules.allow
            or rules.approval
            or rules.rates
            or rules.budgets
            or rules.recipients is not None
            or rules.amounts
            or rules.charges
            or policy.dry_run
        )
        return rules

    def _compile_router(self, tool: Tool) -> _ToolRules:
        """callTwilioTool's rules: the call it makes is decided where it is made (call_tool
        again), so only rules that name callTwilioTool itself (by name, API, service or tag)
        apply here; an effect rule is for the tool it calls."""
        policy = self.policy
        named = [(i, s) for i, s in enumerate(policy.deny) if not s.of_effect]
        for i, selector in named:
            if selector.matches(tool, frozenset()):
                return _ToolRules(refusal=(policy.origin(("deny", i)), _denied(selector)))
        allow = policy.allow
        if allow is not None and not any(
            s.of_effect or s.matches(tool, frozenset()) for s in allow
        ):
            listed = ", ".join(s.text for s in allow)
            return _ToolRules(refusal=("allow", f"the policy allows only: {listed}."))
        return _ToolRules(plain=not policy.dry_run)

    def _minds_spending(self) -> bool:
        """Whether a rule turns on spending: what completing a Pay session charges matters."""
        policy = self.policy
        selectors = [*policy.deny, *(policy.allow or ()), *policy.require_approval]
        return any(b.currency for b in policy.budgets) or any(
            s.of_effect and s.value == SPENDS_MONEY for s in selectors
        )

    def _effects(self, tool: Tool, sent: Mapping[str, Any]) -> frozenset[str]:
        """The effects of this call: the tool's, and those its arguments add (completing a Pay
        session charges it, unless this agent made that session with no amount)."""
        conditions = tool.conditions
        if not conditions:
            return tool.effects
        added = set()
        for effect, when in conditions.items():
            if all(sent.get(name) in values for name, values in when.items()):
                added.add(effect)
        if SPENDS_MONEY in added:
            known = self._sessions.get(str(sent.get("Sid")))
            if known is not None and known[0] <= 0:
                added.discard(SPENDS_MONEY)
        return tool.effects | added if added else tool.effects

    def _check_call(
        self,
        tool: Tool,
        rules: _ToolRules,
        sent: Mapping[str, Any],
        effects: frozenset[str],
        call: Call,
    ) -> None:
        for where, selector in rules.deny:
            if selector.matches(tool, effects):
                self._refuse(tool, call, where, _denied(selector))
        if rules.allow and not any(s.matches(tool, effects) for s in rules.allow):
            allowed = ", ".join(s.text for s in self.policy.allow or ())
            self._refuse(tool, call, "allow", f"the policy allows only: {allowed}.")
        if rules.recipients is not None and (CONTACTS_PERSON in effects or rules.listens):
            self._check_recipients(tool, rules.recipients, sent, call)
        if rules.amounts:
            self._check_amount(tool, sent, call)
        if not (rules.rates or rules.budgets):
            return
        now = time.monotonic()
        for i, rate in rules.rates:
            window = self._window(i, tool.name, rate.per, now)
            if len(window) >= rate.calls:
                wait = rate.per - (now - window[0])
                self._refuse(
                    tool,
                    call,
                    self.policy.origin(("limits", "rates", i)),
                    f"at most {rate.calls} calls in {rate.per:g} s; try again in {wait:.0f} s.",
                )
        for i, budget, amount in self._budget_uses(rules, sent, effects):
            left = budget.amount - self._used(i, budget.per, now)
            if amount > left:
                what = budget.currency or "sends"
                self._refuse(
                    tool,
                    call,
                    self.policy.origin(
                        ("limits", "budgets", "spend" if budget.currency else "sends")
                    ),
                    f"the budget of {budget.amount} {what} per {budget.per:g} s has {left} left.",
                )

    def _check_recipients(
        self, tool: Tool, names: tuple[str, ...], sent: Mapping[str, Any], call: Call
    ) -> None:
        allowed = self.policy.recipients
        assert allowed is not None
        rule = self.policy.origin(("limits", "recipients"))
        shown = ", ".join([*(f"numbers starting {p}" for p in allowed.prefixes), *allowed.exact])
        given = [sent[name] for name in names if name in sent]
        if not given:
            self._refuse(
                tool,
                call,
                rule,
                "the policy limits who may be contacted, and this call names no recipient it "
                f"can check. Allowed recipients: {shown}.",
            )
        for value in given:
            for recipient in value if isinstance(value, list) else [value]:
                normal = normal_recipient(str(recipient))
                by_prefix = normal.startswith("+") and normal[1:].isdigit()
                if normal in allowed.exact or (
                    by_prefix and any(normal.startswith(p) for p in allowed.prefixes)
                ):
                    continue
                self._refuse(
                    tool, call, rule, f"{recipient} may not be contacted. Allowed: {shown}."
                )

    def _check_amount(self, tool: Tool, sent: Mapping[str, Any], call: Call) -> None:
        charge = _charge(sent)
        if charge is None:
            return
        amount, currency = charge
        rule = self.policy.origin(("limits", "amounts"))
        caps = self.policy.amounts
        cap = caps.get(currency)
        if cap is None:
            listed = ", ".join(f"{v} {k}" for k, v in caps.items())
            self._refuse(tool, call, rule, f"no charge in {currency} is allowed; caps: {listed}.")
        elif amount > cap:
            self._refuse(tool, call, rule, f"a charge is capped at {cap} {currency}.")

    def _budget_uses(
        self,
        rules: _ToolRules,
        sent: Mapping[str, Any],
        effects: frozenset[str],
    ) -> list[tuple[int, Budget, Decimal]]:
        """What this call takes from each budget: a send, or the amount of the Pay session it
        completes (a charge of unknown cost takes nothing: it needs approval instead)."""
        uses = []
        for i, budget in rules.budgets:
            if budget.currency is None:
                if CONTACTS_PERSON in effects:
                    people = _people(rules.reached, sent)
                    uses.append((i, budget, Decimal(people)))
            elif SPENDS_MONEY in effects:
                known = self._sessions.get(str(sent.get("Sid")))
                if known is not None and known[1] == budget.currency:
                    uses.append((i, budget, known[0]))
        return uses

    def _unknown_cost(self, rules: _ToolRules, sent: Mapping[str, Any]) -> tuple[str, ...]:
        """Why a person must approve a charge of unknown cost while a spend budget is set (a
        number bought, a Pay session this agent did not create): it would slip past the budget."""
        if self._sessions.get(str(sent.get("Sid"))) is not None:
            return ()
        if not any(budget.currency for _, budget in rules.budgets):
            return ()
        return (self.policy.origin(("limits", "budgets", "spend")) + ", the cost unknown",)

    def _count(
        self, tool: Tool, rules: _ToolRules, sent: Mapping[str, Any], effects: frozenset[str]
    ) -> tuple[tuple[deque[Any], Any], ...]:
        now = time.monotonic()
        taken: list[tuple[deque[Any], Any]] = []
        for i, rate in rules.rates:
            window = self._window(i, tool.name, rate.per, now)
            window.append(now)
            taken.append((window, now))
        for i, _, amount in self._budget_uses(rules, sent, effects):
            spent = self._spent.setdefault(i, deque())
            entry = (now, amount)
            spent.append(entry)
            taken.append((spent, entry))
        return tuple(taken)

    def _window(self, rule: int, tool: str, per: float, now: float) -> deque[float]:
        window = self._windows.setdefault((rule, tool), deque())
        while window and window[0] <= now - per:
            window.popleft()
        return window

    def _used(self, budget: int, per: float, now: float) -> Decimal:
        spent = self._spent.setdefault(budget, deque())
        while spent and spent[0][0] <= now - per:
            spent.popleft()
        return sum((amount for _, amount in spent), Decimal(0))

    def _no_way_to_ask(self, tool: Tool, reason: str, call: Call) -> CallRefused:
        self._note(tool, "declined", reason, call, Approval(False, via="none"))
        return CallRefused(
            tool.name,
            reason,
            "the call needs a person's approval, and no way to ask for it is set up. The "
            "operator gives OCPAgent an approver, or uses the framework's approval step.",
        )

    def _request(
        self,
        tool: Tool,
        runner: Runner,
        arguments: Mapping[str, Any],
        effects: frozenset[str],
        reasons: tuple[str, ...],
        call_id: str | None,
    ) -> ApprovalRequest:
        return ApprovalRequest(
            tool=tool.name,
            api=tool.api,
            effects=tuple(sorted(effects)),
            arguments=masked_arguments({**arguments, **tool.pinned}),
            request=runner.render(tool, arguments),
            reasons=reasons,
            call_id=call_id,
        )

    def _dry_run(
        self, tool: Tool, runner: Runner, arguments: Mapping[str, Any], call: Call
    ) -> Checked | None:
        request = runner.render(tool, arguments)
        if request is None:  # answered in this process: nothing would be sent anyway
            self._note(tool, "allowed", None, call)
            return None
        self._note(tool, "dry-run", "dry_run", call)
        answer = {"dry_run": True, "tool": tool.name, "request": request}
        return Checked(arguments, answer, dry_run=True)

    def _refuse(self, tool: Tool, call: Call | None, rule: str, detail: str) -> NoReturn:
        self._note(tool, "refused", rule, call)
        raise CallRefused(tool.name, rule, detail)

    def _note(
        self,
        tool: Tool,
        decision: Decision,
        rule: str | None,
        call: Call | None,
        approval: Approval | None = None,
    ) -> None:
        call_id = call.tool_call_id if call is not None else None
        by = approval.by if approval is not None else None
        via = approval.via if approval is not None else None
        self.audit.add(tool.name, tool.api, decision, rule, by, via, call_id)
        attempts = call.attempts if call is not None else None
        if attempts is not None:
            attempts.decision = decision


def _denied(selector: Selector) -> str:
    if selector.of_effect:
        return f"the policy denies every call that {EFFECT_WORDS[selector.value]}."
    return f"the policy denies {selector.text}."


def _people(recipients: tuple[str, ...], sent: Mapping[str, Any]) -> int:
    """How many sends one call makes: one for each recipient it lists (a notification to
    twenty identities is twenty), at least one."""
    listed = sum(
        len(v) if isinstance(v := sent.get(n), list) else v is not None for n in recipients
    )
    return max(1, listed)


def _charge(arguments: Mapping[str, Any]) -> tuple[Decimal, str] | None:
    value = arguments.get(CHARGE_AMOUNT)
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None  # not a number: the tool's validation refuses it
    currency = arguments.get(CURRENCY) or DEFAULT_CURRENCY
    return amount, str(currency).upper()


def _check_pins(tool: Tool, pins: Mapping[str, Any], policy: Policy) -> None:
    # Arguments a call chooses: one of a group, or what picks its body's form.
    grouped = {name for group in tool.spec.exactly_one_of for name in group}
    grouped.update(name for form in tool.spec.body_forms for name in form.names)
    for name, value in pins.items():
        where: Where = ("pin",)
        for selector, arguments in policy.pin:
            if name in arguments:
                where = ("pin", selector.text, name)
        if name in grouped:
            raise PolicyError(
                f"Policy rule {rule_origin(where, policy.origins)}: {tool.name} must choose "
                f"{name} call by call (one of a group, or its body's form): it cannot be pinned."
            )
        schema = next(p.schema for p in tool.spec.parameters if p.name == name)
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(dict(schema)).iter_errors(value)
        )
        if error is not None:
            raise PolicyError(
                f"Policy rule {rule_origin(where, policy.origins)}: {value!r} is not a valid "
                f"{name} of {tool.name}: {error.message}."
            )
