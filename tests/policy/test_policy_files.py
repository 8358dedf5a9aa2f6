"""A policy from a file or a mapping: every mistake is refused at load, naming the rule, its line
and the fix; a good file in YAML and in TOML reads to the same policy."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ocp_twilio import Policy, PolicyError

YAML_POLICY = """\
allow: [service:api_v2010]
deny: [effect:delete]
require_approval: [effect:contacts-person, effect:spends-money]
pin:
  createMessage: {From: "+15005550006"}
limits:
  recipients: {prefixes: ["+1"], exact: ["whatsapp:+447700900123"]}
  amounts: {usd: 50}
  rates: [{tools: createMessage, calls: 10, per: 60s}]
  budgets: {sends: {count: 100, per: 1d}, spend: {USD: 500, per: 1d}}
approval_timeout: 2m
"""

TOML_POLICY = """\
allow = ["service:api_v2010"]
deny = ["effect:delete"]
require_approval = ["effect:contacts-person", "effect:spends-money"]
approval_timeout = "2m"

[pin.createMessage]
From = "+15005550006"

[limits]
recipients = { prefixes = ["+1"], exact = ["whatsapp:+447700900123"] }
amounts = { usd = 50 }
rates = [{ tools = "createMessage", calls = 10, per = "60s" }]

[limits.budgets]
sends = { count = 100, per = "1d" }
spend = { USD = 500, per = "1d" }
"""


def test_yaml_and_toml_read_to_the_same_policy(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(YAML_POLICY)
    (tmp_path / "p.toml").write_text(TOML_POLICY)
    from_yaml = Policy.load(tmp_path / "p.yaml")
    assert from_yaml == Policy.load(tmp_path / "p.toml")
    assert [s.text for s in from_yaml.require_approval] == [
        "effect:contacts-person",
        "effect:spends-money",
    ]
    assert from_yaml.amounts == {"USD": Decimal(50)}
    assert from_yaml.recipients is not None
    assert from_yaml.recipients.exact == ("+447700900123",)  # the channel is not the number
    assert from_yaml.rates[0].per == 60 and from_yaml.approval_timeout == 120
    assert [(b.currency, b.amount, b.per) for b in from_yaml.budgets] == [
        (None, 100, 86400),
        ("USD", 500, 86400),
    ]


@pytest.mark.parametrize(
    ("text", "named", "fix"),
    [
        (
            "allow: [tool:x]\nrequire_aproval: [effect:delete]\n",
            "require_aproval (p.yaml line 2)",
            "did you mean 'require_approval'?",
        ),
        (
            "deny:\n  - effect:delete\n  - effect:spend-money\n",
            "deny[1] (p.yaml line 3)",
            "did you mean effect:spends-money?",
        ),
        ("deny: [sevice:api_v2010]\n", "deny[0] (p.yaml line 1)", "did you mean service:?"),
        (
            "limits:\n  amounts: {USD: -5}\n",
            "limits.amounts.USD (p.yaml line 2)",
            "give a number of 0 or more",
        ),
        (
            "limits:\n  amounts: {dollars: 5}\n",
            "limits.amounts.dollars (p.yaml line 2)",
            "write it as USD",
        ),
        (
            "limits:\n  rates:\n    - {tools: createMessage, calls: 0, per: 60s}\n",
            "limits.rates[0].calls (p.yaml line 3)",
            "give a whole number of 1 or more",
        ),
        (
            "limits:\n  rates:\n    - {tools: createMessage, calls: 3, per: soon}\n",
            "limits.rates[0].per (p.yaml line 3)",
            "give seconds, or 90s",
        ),
        (
            'limits:\n  recipients: {prefixes: ["44"]}\n',
            "limits.recipients.prefixes[0] (p.yaml line 2)",
            "write it as '+44'",
        ),
        (
            "limits:\n  recipients: {prefixes: []}\n",
            "limits.recipients (p.yaml line 2)",
            "allows nobody",
        ),
        (
            "pin:\n  createMessage: From\n",
            "pin.createMessage (p.yaml line 2)",
            "must map argument names to values",
        ),
        ("dry_run: yes please\n", "dry_run (p.yaml line 1)", "give true or false"),
    ],
)
def test_a_bad_rule_is_refused_naming_it_its_line_and_the_fix(
    tmp_path: Path, text: str, named: str, fix: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        Policy.load(path)
    assert named in str(caught.value)
    assert fix in str(caught.value)


def test_toml_errors_name_the_line_too(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('deny = ["effect:delete"]\n\n[limits]\namounts = { EUR = "lots" }\n')
    with pytest.raises(PolicyError, match=r"limits\.amounts\.EUR \(p\.toml line 4\)"):
        Policy.load(path)


def test_a_policy_from_code_is_checked_the_same_way() -> None:
    with pytest.raises(PolicyError, match=r"deny\[0\]: 'effect:deletes'.*effect:delete\?"):
        Policy.from_mapping({"deny": ["effect:deletes"]})
    policy = Policy.from_mapping({"deny": "effect:delete", "dry_run": True})
    assert [s.text for s in policy.deny] == ["effect:delete"] and policy.dry_run


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("p.json", "{}", "name it .yaml, .yml or .toml"),
        ("p.yaml", "a: [1, 2", "Cannot read policy file"),
        ("p.toml", "a = ", "Cannot read policy file"),
        ("p.yaml", "- just a list\n", "a policy is a mapping"),
        ("p.yaml", "x" * (300 * 1024), "over 256 KB"),
    ],
)
def test_an_unreadable_file_is_a_policy_error(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(PolicyError, match=problem):
        Policy.load(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"Cannot read policy file .*nowhere\.yaml"):
        Policy.load(tmp_path / "nowhere.yaml")


def test_a_yaml_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    path = tmp_path / "p.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PolicyError):
        Policy.load(path)
