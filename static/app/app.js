// Switchboard's few behaviours beyond htmx. Every page works without this file; it only
// makes dialogs modal, hides buttons that JavaScript makes redundant, and shows the force
// and gate sections of the deploy dialog only when production is chosen.
"use strict";

document.documentElement.classList.add("js");

function openDialogs(root) {
  const dialogs = root.matches && root.matches("dialog.dialog") ? [root] : root.querySelectorAll ? root.querySelectorAll("dialog.dialog") : [];
  for (const dialog of dialogs) {
    if (!dialog.open) dialog.showModal();
    const invalid = dialog.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
    syncProductionOnly(dialog);
  }
}

function syncProductionOnly(root) {
  const chosen = root.querySelector("input[data-stage]:checked");
  for (const section of root.querySelectorAll("[data-production-only]")) {
    section.hidden = !chosen || chosen.value !== "production";
  }
}

document.addEventListener("htmx:load", (event) => openDialogs(event.detail.elt));

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("[data-autosubmit]")) target.form.requestSubmit();
  if (target.matches("input[data-stage]")) syncProductionOnly(target.form);
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
