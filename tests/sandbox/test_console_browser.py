"""The sandbox console in a real browser: Debian's headless Chromium, driven by Selenium.

The agent (the demo's scripted one, through OCPAgent and its StatusCallback receiver) takes a
payment on a call whose caller is the person at the console; the test is that person, clicking
the page's keypad. The page's DOM is searched for the card's digits after every step.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait
from support.console import Recorder, agent_takes_payment, leaks
from support.files import ROOT
from support.sandbox import loop_in_thread, run_on

from ocp_twilio.cli.demo_agent import Outcome
from ocp_twilio.sandbox import INVALID_CARD, TEST_CARD, Sandbox

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "artifacts"
# Without the background-networking flags, Chromium's own connections are refused by a closed
# network, and it stalls.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
ENTRIES = {
    "payment-card-number": TEST_CARD.number,
    "expiration-date": TEST_CARD.expiry_mmyy,
    "security-code": TEST_CARD.security_code,
    "postal-code": TEST_CARD.postal_code,
}

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
    reason=f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
    "apt-get install chromium chromium-driver",
)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager downloads nothing
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    with loop_in_thread() as running:
        yield running


@pytest.fixture
def sandbox(loop: asyncio.AbstractEventLoop, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox; parametrized indirectly, its key timeout in seconds."""
    running = run_on(loop, Sandbox(key_timeout=getattr(request, "param", 30.0)).start())
    try:
        yield running
    finally:
        run_on(loop, running.aclose())


@pytest.fixture
def agents(loop: asyncio.AbstractEventLoop, sandbox: Sandbox) -> Iterator[Agents]:
    started = Agents(loop, sandbox)
    try:
        yield started
    finally:
        run_on(loop, started.stop())


class Agents:
    """Agents taking the payment of a console call, each a task on the sandbox's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sandbox: Sandbox) -> None:
        self.loop, self.sandbox = loop, sandbox
        self.tasks: list[asyncio.Task[Outcome]] = []

    def start(self, recorder: Recorder) -> tuple[str, Future[Outcome]]:
        """A console call's sid, and the agent's outcome to come."""

        async def start() -> tuple[str, asyncio.Task[Outcome]]:
            call_sid = self.sandbox.start_call(console=True)
            task = asyncio.create_task(agent_takes_payment(self.sandbox, call_sid, recorder))
            self.tasks.append(task)
            return call_sid, task

        call_sid, task = run_on(self.loop, start())
        return call_sid, asyncio.run_coroutine_threadsafe(_outcome(task), self.loop)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _outcome(task: asyncio.Task[Outcome]) -> Outcome:
    return await asyncio.shield(task)


def open_console_and_pay(
    browser: WebDriver, sandbox: Sandbox, agents: Agents
) -> tuple[str, Future[Outcome], Recorder]:
    """The console open and live, then a console call with the agent taking its payment."""
    browser.get(sandbox.console_url())
    WebDriverWait(browser, 10).until(lambda b: text_of(b, "#connection") == "live")
    recorder = Recorder()
    return (*agents.start(recorder), recorder)


def keypad_for(browser: WebDriver, capture: str) -> None:
    """Wait for the keypad to ask for ``capture``."""
    WebDriverWait(browser, 20).until(
        expected_conditions.presence_of_element_located(
            (By.CSS_SELECTOR, f'.keypad[data-capture="{capture}"]')
        )
    )


def click(browser: WebDriver, key: str) -> None:
    WebDriverWait(browser, 10).until(
        expected_conditions.element_to_be_clickable(
            (By.CSS_SELECTOR, f'.keypad button[data-key="{key}"]')
        )
    ).click()


def key_in(browser: WebDriver, capture: str, digits: str) -> None:
    keypad_for(browser, capture)
    for count, digit in enumerate(digits, start=1):
        click(browser, digit)
        # Each key is one callback, and the display grows masked: x, xx, …
        WebDriverWait(browser, 10).until(
            lambda b, n=count: b.find_element(By.CSS_SELECTOR, ".keypad .display").text == "x" * n
        )
    click(browser, "#")


def text_of(browser: WebDriver, selector: str) -> str:
    """The text of the first element ``selector`` finds, read at once: the page redraws the
    call at each event, so an element found a moment earlier may be gone."""
    text = browser.execute_script(
        "const found = document.querySelector(arguments[0]); return found && found.innerText;",
        selector,
    )
    return str(text or "")


def assert_no_digits(browser: WebDriver) -> None:
    page = browser.page_source + browser.execute_script("return document.body.innerText")
    assert leaks(page) == []


def test_the_person_keys_in_a_card_and_the_agent_sees_it_masked(
    browser: WebDriver, agents: Agents, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ocp_twilio")
    call_sid, outcome, recorder = open_console_and_pay(browser, sandbox, agents)
    assert browser.current_url == sandbox.url + "/sandbox/console"  # the token is gone

    # A wrong card first: the agent reads the error and asks again.
    key_in(browser, "payment-card-number", INVALID_CARD)
    WebDriverWait(browser, 10).until(lambda b: "invalid-card-number" in text_of(b, ".timeline"))
    assert_no_digits(browser)
    for capture, digits in ENTRIES.items():
        key_in(browser, capture, digits)
        assert_no_digits(browser)
    WebDriverWait(browser, 20).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".result.success"))
    )

    assert outcome.result(20).completed
    assert "Result success" in text_of(browser, ".result")
    waits = recorder.answers("waitForPaymentUpdate")
    assert waits[-1]["entered"]["card_number"] == "xxxxxxxxxxxx1111"
    assert any(w.get("error", {}).get("type") == "invalid-card-number" for w in waits)
    assert "xxxxxxxxxxxx1111" in text_of(browser, ".payment .captured-fields")
    assert call_sid in text_of(browser, "#call")
    timeline = text_of(browser, ".payment .timeline")
    assert "→ updatePayments Status=complete · 202" in timeline
    typed = "StatusCallbacks payment-card-number (typing)\nPartialResult=true, PaymentCardNumber"
    assert f"{typed}=x … xxxxxxxxxxxxxxxx\n" in timeline
    assert "ErrorType=invalid-card-number" in timeline
    assert_no_digits(browser)
    assert leaks(caplog.text) == []
    assert "POST /sandbox/console/keys -> 200" in caplog.text  # the logs were read
    ARTIFACTS.mkdir(exist_ok=True)
    browser.set_window_size(1400, 1500)  # the whole timeline
    assert browser.save_screenshot(str(ARTIFACTS / "console-completed-payment.png"))


def test_the_person_hangs_up_and_the_payment_ends_caller_hung_up(
    browser: WebDriver, agents: Agents, sandbox: Sandbox
) -> None:
    _, outcome, recorder = open_console_and_pay(browser, sandbox, agents)
    key_in(browser, "payment-card-number", TEST_CARD.number)
    keypad_for(browser, "expiration-date")
    click(browser, "hang-up")

    WebDriverWait(browser, 20).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".result.failure"))
    )
    assert "Result caller-hung-up" in text_of(browser, ".result")
    assert text_of(browser, ".payment h2 .tag") == "failed"
    assert not outcome.result(20).completed
    assert recorder.answers("waitForPaymentUpdate")[-1]["result"]["result"] == "caller-hung-up"
    assert browser.find_elements(By.CSS_SELECTOR, ".keypad") == []
    assert_no_digits(browser)


@pytest.mark.parametrize("sandbox", [1.5], indirect=True)
def test_the_person_stays_silent_and_the_capture_times_out(
    browser: WebDriver, agents: Agents, sandbox: Sandbox
) -> None:
    _, outcome, recorder = open_console_and_pay(browser, sandbox, agents)
    keypad_for(browser, "payment-card-number")
    countdown = browser.find_element(By.CSS_SELECTOR, ".keypad .countdown").text
    assert re.fullmatch(r"Silent for [0-2] s more, and the capture times out\.", countdown)

    WebDriverWait(browser, 20).until(lambda b: "input-timeout" in text_of(b, ".timeline"))
    keypad_for(browser, "payment-card-number")  # the agent asked again
    click(browser, "hang-up")

    assert not outcome.result(20).completed
    errors = [w["error"]["type"] for w in recorder.answers("waitForPaymentUpdate") if "error" in w]
    assert errors == ["input-timeout"]
