// TrackChild pages: client-side field messages and review keyboard shortcuts.
// No inline scripts anywhere (the pages' CSP forbids them), no third-party code.
"use strict";

function showFieldErrors(form) {
  let first = null;
  for (const input of form.querySelectorAll("input, select, textarea")) {
    const slot = document.getElementById(input.id + "-error");
    if (!slot) continue;
    if (input.validity.valid) {
      if (slot.dataset.client) { slot.textContent = ""; delete slot.dataset.client; }
      input.closest(".field")?.classList.remove("has-error");
    } else {
      slot.textContent = input.validationMessage;
      slot.dataset.client = "1";
      input.closest(".field")?.classList.add("has-error");
      first = first || input;
    }
  }
  if (first) first.focus();
  return first === null;
}

function typingIn(event) {
  const tag = event.target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.target.isContentEditable;
}

function queueKeys() {
  const rows = Array.from(document.querySelectorAll("[data-keyboard-list] tr[data-href]"));
  if (!rows.length) return;
  let at = 0;
  const mark = () => rows.forEach((row, i) => row.classList.toggle("current", i === at));
  mark();
  document.addEventListener("keydown", (event) => {
    if (typingIn(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") { at = Math.min(rows.length - 1, at + 1); mark(); }
    else if (event.key === "k") { at = Math.max(0, at - 1); mark(); }
    else if (event.key === "Enter") { window.location.assign(rows[at].dataset.href); }
  });
}

function pairKeys() {
  const form = document.getElementById("decision-form");
  if (!form) return;
  const note = form.querySelector("textarea[name=note]");
  document.addEventListener("keydown", (event) => {
    if (typingIn(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "n") { event.preventDefault(); note.focus(); return; }
    const button = form.querySelector(`button[data-key="${event.key}"]`);
    if (!button) return;
    event.preventDefault();
    if (button.value === "confirm" && !note.value.trim()) { note.focus(); return; }  // a reason is required
    form.requestSubmit(button);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-validate]")) {
    form.noValidate = true;  // we show the browser's own message next to each field instead
    form.addEventListener("submit", (event) => { if (!showFieldErrors(form)) event.preventDefault(); });
  }
  const page = document.body.dataset.page;
  if (page === "review-queue") queueKeys();
  if (page === "review-pair") pairKeys();
});
