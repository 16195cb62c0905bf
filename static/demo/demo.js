// The demo page's own script (htmx does the rest): "Send twice" posts a form twice with the same
// command id and shows both answers, the second being the write side's replay of the first; and a
// live part holding the keyboard focus is left alone.
"use strict";

async function post(form) {
  const body = new FormData(form);
  const selected = document.getElementById("selected-account");
  if (selected) body.set(selected.name, selected.value);
  const response = await fetch(form.action, {
    method: "POST", body, headers: { "HX-Request": "true" }, credentials: "same-origin",
  });
  return { html: await response.text(), url: response.headers.get("HX-Replace-Url") };
}

function answersIn(html, formId) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const form = template.content.getElementById(formId);
  return form ? Array.from(form.querySelectorAll(".answer, .refusal")) : [];
}

function labelled(label, nodes) {
  const box = document.createElement("div");
  box.className = "attempt-box";
  const title = document.createElement("p");
  title.className = "attempt";
  title.textContent = label;
  box.append(title, ...nodes);
  return box;
}

async function sendTwice(button) {
  const form = button.form;
  button.disabled = true;
  try {
    const first = await post(form);
    const second = await post(form);
    htmx.swap("#commands", second.html, { swapStyle: "outerHTML" });
    if (second.url || first.url) history.replaceState(null, "", second.url || first.url);
    const fresh = document.getElementById(form.id);
    const secondAnswers = Array.from(fresh.querySelectorAll(".answer, .refusal"));
    const box = document.createElement("div");
    box.className = "twice";
    box.append(labelled("First send", answersIn(first.html, form.id)),
               labelled("Second send, same command id", secondAnswers));
    fresh.append(box);
  } catch (error) {
    button.disabled = false;
    const note = document.createElement("p");
    note.className = "refusal";
    note.textContent = "The page could not reach the server: " + error.message;
    form.append(note);
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-send-twice]");
  if (button) {
    event.preventDefault();
    sendTwice(button);
  }
});

function holdsFocus(part) {
  const focused = document.activeElement;
  return Boolean(focused && focused !== document.body && part.contains(focused));
}

// A live part that holds the keyboard focus is not refreshed: its polling request is not sent
// (here, not in an hx-trigger filter: that would need eval, which the page's CSP forbids) ...
document.addEventListener("htmx:confirm", (event) => {
  const part = event.detail.elt;
  const polled = (part.getAttribute("hx-trigger") || "").startsWith("every ");
  if (event.detail.verb === "get" && polled && holdsFocus(part)) {
    event.preventDefault();
  }
});

// ... and a refresh already on its way when the focus arrived is dropped here.
document.addEventListener("htmx:beforeSwap", (event) => {
  const { target, requestConfig } = event.detail;
  const focused = document.activeElement;
  if (requestConfig.verb === "get" && focused && focused !== document.body && target.contains(focused)) {
    event.detail.shouldSwap = false;
  }
});
