"""Schemathesis hooks for benchmarks/sandbox_schemathesis.py, loaded by name
(SCHEMATHESIS_HOOKS) in the venv that script makes; it passes the sandbox's address and login
in SANDBOX_URL, SANDBOX_ACCOUNT_SID and SANDBOX_AUTH_TOKEN.

Each case gets its own live call, and an update its own open payment, so that no case is refused
for what an earlier one did (a call hung up, a payment already complete): a schema-breaking
value that the sandbox accepts cannot hide behind another refusal. A case of a text or a call
gets a text or call of its own to fetch, update or delete, and a create that names ``From`` and
``To`` as strings sends the sandbox's own number and one that takes texts and calls (any
other is refused, which would hide the other fields). Path sids that break the schema, and
values that are not strings, go out as Schemathesis made them.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
import urllib.parse
import urllib.request
from typing import Any

import schemathesis

_URL = os.environ["SANDBOX_URL"]
_ACCOUNT = os.environ["SANDBOX_ACCOUNT_SID"]
_LOGIN = base64.b64encode(f"{_ACCOUNT}:{os.environ['SANDBOX_AUTH_TOKEN']}".encode()).decode()
_CALLBACK = "https://agent.example/pay-status"  # not on loopback: recorded, never posted
_SANDBOX_NUMBER, _DELIVERS = "+14155550100", "+14155550101"
_ACCOUNT_PATH = f"/2010-04-01/Accounts/{_ACCOUNT}"


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    if "/Payments" not in case.operation.path:
        _text_or_call(case)
    elif not _tests_the_path(case.meta):
        path = {"AccountSid": _ACCOUNT, "CallSid": _post("/sandbox/calls", {})["sid"]}
        if "Sid" in (case.path_parameters or {}):
            payments = f"/2010-04-01/Accounts/{_ACCOUNT}/Calls/{path['CallSid']}/Payments.json"
            created = {"IdempotencyKey": _key(), "StatusCallback": _CALLBACK}
            path["Sid"] = _post(payments, created)["sid"]
        case.path_parameters = path
    if isinstance(case.body, dict) and isinstance(case.body.get("IdempotencyKey"), str):
        # Keys are per account: a key two cases share would be a conflict (409), not a check.
        case.body = {**case.body, "IdempotencyKey": case.body["IdempotencyKey"] + "-" + _key()}


def _text_or_call(case: Any) -> None:
    if not _tests_the_path(case.meta):
        path = {"AccountSid": _ACCOUNT}
        if "Sid" in (case.path_parameters or {}):
            to = {"To": _DELIVERS, "From": _SANDBOX_NUMBER}
            if "/Messages/" in case.operation.path:
                path["Sid"] = _post(f"{_ACCOUNT_PATH}/Messages.json", {**to, "Body": "hi"})["sid"]
                time.sleep(0.01)  # delivered by now: a text on its way cannot be deleted
            else:
                created = _post(f"{_ACCOUNT_PATH}/Calls.json", {**to, "Twiml": "<Response/>"})
                path["Sid"] = created["sid"]
        case.path_parameters = path
    if isinstance(case.body, dict):
        numbers = {"From": _SANDBOX_NUMBER, "To": _DELIVERS}
        case.body = {
            **case.body,
            **{k: v for k, v in numbers.items() if isinstance(case.body.get(k), str)},
        }


def _tests_the_path(meta: Any) -> bool:
    """Whether the case breaks a path parameter on purpose: those go out as they are. (Other
    cases of the coverage phase may carry placeholder sids such as "0" too.)"""
    if meta is None:
        return False
    if meta.phase.name.value == "coverage":
        location = getattr(meta.phase.data, "parameter_location", None)
        return location is not None and location.value == "path"
    mode = {where.value: info.mode.value for where, info in meta.components.items()}
    return mode.get("path") == "negative"


def _key() -> str:
    return secrets.token_hex(8)


def _post(path: str, form: dict[str, str]) -> Any:
    request = urllib.request.Request(
        _URL + path,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Authorization": "Basic " + _LOGIN},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)
