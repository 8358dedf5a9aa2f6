// The sandbox console: renders the sandbox's calls from its event stream, and sends the
// person's keys one at a time (no digit is kept here; the page only ever shows masked values).
"use strict";

const BASE = "/sandbox/console";
const MAX_TIMELINE = 1000;  // entries kept, as many as the sandbox's snapshot holds
// Fields every callback repeats (the payment's header shows them); the timeline shows the rest.
const BASE_FIELDS = new Set(["AccountSid", "CallSid", "Sid", "DateCreated", "DateUpdated",
  "PaymentConnector", "PaymentMethod", "ChargeAmount", "TokenType", "BankAccountType",
  "Request", "Answer"]);
// The callback field that shows each captured value.
const VALUE_FIELDS = {
  "payment-card-number": "PaymentCardNumber", "expiration-date": "ExpirationDate",
  "security-code": "SecurityCode", "postal-code": "PaymentCardPostalCode",
  "bank-routing-number": "BankRoutingNumber", "bank-account-number": "BankAccountNumber",
};
const LABELS = {
  "payment-card-number": "Card number", "expiration-date": "Expiry",
  "security-code": "Security code", "postal-code": "Postal code",
  "bank-routing-number": "Routing number", "bank-account-number": "Account number",
};

// keypad: the capture the keypad shown is for ("PK… capture"), and its display's parts.
// phone: the texts and calls that reached the console's number (the person's phone).
const model = { calls: new Map(), timeline: [], selected: null, keypad: null, phone: null };

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }
  return node;
}

function label(capture) {
  const base = capture.replace(/-matcher$/, "");
  return (LABELS[base] || base) + (base === capture ? "" : " (again, to match)");
}

function connect() {
  const status = document.getElementById("connection");
  const source = new EventSource(BASE + "/events");
  source.onopen = () => { status.textContent = "live"; status.className = "connection live"; };
  source.onerror = () => {
    // CLOSED: refused (401, or 503 with every viewer's place taken); else it reconnects itself.
    const closed = source.readyState === EventSource.CLOSED;
    status.textContent = closed ? "closed: reload the page to try again" : "reconnecting…";
    status.className = "connection";
  };
  source.onmessage = (event) => receive(JSON.parse(event.data));
}

function receive(message) {
  if (message.type === "snapshot") {
    model.calls = new Map(message.calls.map((call) => [call.sid, call]));
    model.timeline = message.timeline;
  }
  if (message.phone) {
    model.phone = message.phone;
    renderPhone();
  }
  if (message.call) {
    model.calls.set(message.call.sid, message.call);
    model.selected = message.call.sid;  // follow the call that just changed
  }
  if (message.entry) model.timeline.push(message.entry);
  if (model.timeline.length > MAX_TIMELINE) model.timeline.splice(0, model.timeline.length - MAX_TIMELINE);
  if (model.selected === null || !model.calls.has(model.selected)) {
    model.selected = [...model.calls.keys()].pop() || null;
  }
  render();
}

function render() {
  const list = document.getElementById("calls");
  list.replaceChildren(...[...model.calls.values()].reverse().map((call) => el("li", {},
    el("button", {
      class: call.sid === model.selected ? "selected" : "",
      onclick: () => { model.selected = call.sid; render(); },
    }, el("span", { class: "sid" }, call.sid.slice(0, 14) + "…"),
    el("span", { class: "tag " + (call.live ? "live" : "ended") }, call.live ? "live" : "ended"),
    el("span", { class: "tag" }, call.caller === "console" ? "you are the caller" : "scripted caller")))));
  const section = document.getElementById("call");
  const call = model.calls.get(model.selected);
  renderKeypad(call);
  if (!call) return;
  const entries = model.timeline.filter((entry) => entry.call_sid === call.sid);
  section.replaceChildren(...[
    el("h2", {}, "Call ", el("span", { class: "sid" }, call.sid)),
    call.payments.length ? null : el("p", { class: "empty" }, "No payment on this call yet."),
    ...call.payments.slice().reverse().map((payment) => renderPayment(call, payment,
      entries.filter((entry) => entry.payment_sid === payment.sid))),
    // Requests refused before a payment existed.
    el("ol", { class: "timeline" }, entries.filter((entry) => !entry.payment_sid).map(renderEntry)),
  ].filter((node) => node !== null));
}

function renderPhone() {
  const phone = model.phone;
  document.getElementById("phone-number").textContent = phone.number;
  document.getElementById("texts").replaceChildren(...phone.texts.map((text) =>
    el("li", { class: "text " + text.direction, "data-sid": text.sid },
      el("span", { class: "hint" }, text.direction === "in" ? `from ${text.from}` : "you replied"),
      el("span", { class: "tag" }, text.status),
      el("div", { class: "body" }, text.body))));
  document.getElementById("phone-calls").replaceChildren(...phone.calls.map((call) =>
    el("li", { "data-sid": call.sid }, `call from ${call.from} `,
      el("span", { class: "tag" }, call.status))));
}

function sendReply() {
  const body = document.getElementById("reply-body");
  const problem = document.getElementById("reply-problem");
  fetch(BASE + "/reply", { method: "POST", body: new URLSearchParams({ Body: body.value }) })
    .then(async (answer) => {
      problem.textContent = answer.ok ? "" : (await answer.json()).message;
      if (answer.ok) body.value = "";
    });
}

function renderPayment(call, payment, entries) {
  const amount = payment.amount === null ? "tokenize" : payment.amount;
  return el("article", { class: "payment", "data-sid": payment.sid },
    el("h2", {}, "Payment ", el("span", { class: "sid" }, payment.sid),
      el("span", { class: "tag " + payment.state }, payment.state)),
    el("p", { class: "hint" }, `${payment.method}, ${amount}` +
      (payment.brand ? `, ${payment.brand}` : "")),
    el("div", { class: "columns" },
      el("div", {}, renderCaptured(payment), renderResult(payment)),
      el("div", {}, el("h3", {}, "Timeline"),
        el("ol", { class: "timeline" }, grouped(entries).map(renderEntry)))));
}

function renderCaptured(payment) {
  const rows = payment.required.map((capture) => {
    const shown = payment.captured[capture];
    const now = payment.capturing === capture ? " (being keyed in)" : "";
    return el("tr", {}, el("th", {}, label(capture)), shown === undefined
      ? el("td", { class: "missing" }, "still required" + now)
      : el("td", { class: "captured" }, shown + now));
  });
  return el("table", { class: "captured-fields" }, el("tbody", {}, rows));
}

function renderKeypad(call) {
  const slot = document.getElementById("keypad");
  const payment = call && call.caller === "console" && call.payments.find((p) => p.keypad);
  if (!payment) {
    model.keypad = null;
    slot.replaceChildren();
    return;
  }
  const pad = payment.keypad;
  const id = `${payment.sid} ${pad.capture}`;
  if (!model.keypad || model.keypad.id !== id) model.keypad = buildKeypad(slot, payment, id);
  if (model.keypad.keys !== pad.keys) {  // a key went in: Twilio's timeout starts again
    model.keypad.keys = pad.keys;
    model.keypad.display.textContent = "x".repeat(pad.keys) || "\u00a0";
    model.keypad.deadline = Date.now() + pad.timeout * 1000;
    countDown();
  }
}

function buildKeypad(slot, payment, id) {
  const capture = payment.keypad.capture;
  const display = el("div", { class: "display" });
  const countdown = el("span", { class: "countdown" });
  const problem = el("p", { class: "error" });
  const press = (value) => fetch(BASE + "/keys", {
    method: "POST", body: new URLSearchParams({ Sid: payment.sid, Key: value }),
  }).then(async (answer) => {
    problem.textContent = answer.ok ? "" : (await answer.json()).message;
  });
  const key = (value, text) => el("button", { "data-key": value, onclick: () => press(value) },
    text || value);
  slot.replaceChildren(el("div", { class: "keypad", "data-capture": capture },
    el("strong", {}, `You are the caller: the agent asks for the ${label(capture).toLowerCase()}`),
    el("div", { class: "hint sid" }, payment.sid),
    display,
    el("div", { class: "keys" }, ..."123456789".split("").map((d) => key(d)), el("span"), key("0"),
      key("#")),
    el("button", { class: "hang-up", "data-key": "hang-up", onclick: () => press("hang-up") },
      "Hang up"),
    el("p", { class: "hint" }, "Press # when done (or Enter; digits on your keyboard work too). ",
      countdown), problem));
  return { id, keys: null, display, countdown, deadline: 0 };
}

function renderResult(payment) {
  const result = payment.outcome.Result;
  if (!result) return null;
  const details = Object.entries(payment.outcome).filter(([name]) => name !== "Result")
    .map(([name, value]) => `${name} ${value}`).join(", ");
  return el("div", { class: "result " + (result === "success" ? "success" : "failure") },
    el("strong", {}, "Result " + result), details ? el("div", {}, details) : null);
}

// Consecutive callbacks of keys typed into one capture, as one line: x … xxxxxxxxxxxxxxxx.
function grouped(entries) {
  const lines = [];
  for (const entry of entries) {
    const last = lines[lines.length - 1];
    const typing = entry.fields.PartialResult === "true";
    if (typing && last && last.typing && last.entry.fields.Capture === entry.fields.Capture) {
      last.entries.push(entry);
      last.latest = entry;
      last.count += 1;
    } else {
      lines.push({ entry, entries: [entry], latest: entry, count: 1, typing });
    }
  }
  return lines;
}

function renderEntry(line) {
  const entry = line.latest || line;
  if (line.count > 1) return renderTyping(line);
  const fields = entry.fields;
  const request = entry.kind === "request";
  const problem = request ? "ErrorCode" in fields : "ErrorType" in fields;
  let what;
  if (request) {
    const step = fields.Capture ? ` Capture=${fields.Capture}` :
      fields.Status ? ` Status=${fields.Status}` : "";
    what = `→ ${fields.Request}${step} · ${fields.Answer}`;
  } else {
    what = "← StatusCallback" + (fields.Capture ? ` ${fields.Capture}` : "") +
      (fields.PartialResult === "true" ? " (typing)" : "") +
      (fields.ErrorType ? ` ${fields.ErrorType}` : "") + (fields.Result ? ` Result=${fields.Result}` : "");
  }
  const rest = Object.entries(fields).filter(([name]) => !BASE_FIELDS.has(name))
    .map(([name, value]) => `${name}=${value}`).join(" ");
  return el("li", { class: [entry.kind, problem ? "problem" : ""].join(" ") },
    el("span", { class: "time" }, entry.at.slice(11, 23)), el("span", { class: "what" }, what),
    rest ? el("div", { class: "fields" }, rest) : null);
}

function renderTyping(line) {
  const capture = line.entry.fields.Capture;
  const field = VALUE_FIELDS[capture.replace(/-matcher$/, "")];
  const typed = line.entries.map((entry) => entry.fields[field]).filter(Boolean);
  const shown = typed.length ? `${field}=${typed[0]} … ${typed[typed.length - 1]}` : "no key yet";
  return el("li", { class: "callback typing" },
    el("span", { class: "time" }, line.latest.at.slice(11, 23)),
    el("span", { class: "what" }, `← ${line.count} StatusCallbacks ${capture} (typing)`),
    el("div", { class: "fields" }, `PartialResult=true, ${shown}`));
}

function countDown() {
  const pad = model.keypad;
  if (!pad) return;
  const seconds = Math.max(0, Math.round((pad.deadline - Date.now()) / 1000));
  pad.countdown.textContent = `Silent for ${seconds} s more, and the capture times out.`;
}

setInterval(countDown, 1000);
document.getElementById("reply-send").addEventListener("click", sendReply);
document.addEventListener("keydown", (event) => {
  if (event.target.closest && event.target.closest("#phone")) return;  // typing a reply
  const button = document.querySelector(`.keypad button[data-key="${event.key === "Enter" ? "#" : event.key}"]`);
  if (button) button.click();
});
connect();
