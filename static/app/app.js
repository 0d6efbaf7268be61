// Switchboard's few behaviours beyond htmx. Every page works without this file; it only
// makes dialogs modal, hides buttons that JavaScript makes redundant, shows the force and
// gate sections of the deploy dialog only when production is chosen, and keeps its Deploy
// button disabled until the choice is one the checklist shows open. (Without JavaScript the
// button stays enabled and the service refuses a closed gate with the same sentence.)
"use strict";

document.documentElement.classList.add("js");

function openDialogs(root) {
  const dialogs = root.matches && root.matches("dialog.dialog") ? [root] : root.querySelectorAll ? root.querySelectorAll("dialog.dialog") : [];
  for (const dialog of dialogs) {
    if (!dialog.open) dialog.showModal();
    const invalid = dialog.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
  }
  // The deploy form, in a dialog or as a page of its own.
  const buttons = root.querySelectorAll ? root.querySelectorAll("[data-deploy]") : [];
  for (const button of buttons) syncProductionOnly(button.form);
}

function syncProductionOnly(root) {
  const chosen = root.querySelector("input[data-stage]:checked");
  for (const section of root.querySelectorAll("[data-production-only]")) {
    section.hidden = !chosen || chosen.value !== "production";
  }
  syncDeployButton(root);
}

// Why Deploy cannot be pressed yet, or "" when it can.
function deployBlockedBecause(form) {
  const chosen = form.querySelector("input[data-stage]:checked");
  if (!chosen) return "Choose where to deploy.";
  if (!chosen.matches("[data-needs-override]")) return "";
  const force = form.querySelector("input[name=force]");
  const reason = form.querySelector("[name=force_reason]");
  if (!force) return "A gate is closed: record a passing test of this config first.";
  if (!force.checked) return "A gate is closed: record a passing test first, or tick the override.";
  if (!reason || !reason.value.trim()) return "Give the reason for overriding the gate.";
  return "";
}

function syncDeployButton(root) {
  const button = root.querySelector("[data-deploy]");
  if (!button) return;
  const why = deployBlockedBecause(button.form);
  button.disabled = why !== "";
  const hint = button.form.querySelector("[data-deploy-why]");
  if (hint) hint.textContent = why;
}

document.addEventListener("htmx:load", (event) => openDialogs(event.detail.elt));

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("[data-autosubmit]")) target.form.requestSubmit();
  if (target.matches("input[data-stage]")) syncProductionOnly(target.form);
  if (target.matches("input[name=force]")) syncDeployButton(target.form);
});

document.addEventListener("input", (event) => {
  if (event.target.matches("[name=force_reason]")) syncDeployButton(event.target.form);
});

// Cancel closes the dialog; without JavaScript it is a link back to the agent.
document.addEventListener("click", (event) => {
  const cancel = event.target.closest("[data-close-dialog]");
  const dialog = cancel && cancel.closest("dialog");
  if (dialog) {
    event.preventDefault();
    dialog.close();
  }
});

// A closed dialog (Cancel or Escape) is removed, so the next one opens fresh.
document.addEventListener("close", (event) => {
  if (event.target.matches("dialog.dialog")) event.target.remove();
}, true);

document.addEventListener("htmx:responseError", () => {
  const toast = document.getElementById("toast");
  if (toast) toast.innerHTML = '<p class="toast toast-error">The server could not complete that. Reload the page to see where things stand.</p>';
});
