// GOV.UK Frontend components (error summary focus, header menu, tabs, …).
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

initAll();

// After an htmx swap, start the components inside the new content and move focus to an error
// summary if the swap brought one, as a full page load would.
document.body.addEventListener("htmx:afterSwap", (event) => {
  initAll({ scope: event.detail.target });
  const summary = event.detail.target.querySelector(".govuk-error-summary");
  if (summary) summary.focus();
});

// GOV.UK Frontend marks a radio or checkbox that reveals more questions with aria-expanded,
// which ARIA does not allow on those roles (axe's aria-allowed-attr, critical: some screen
// readers then announce a wrong role). The revealed questions follow the control in reading
// order, which is what tells a screen-reader user; so the attribute is taken off again.
const dropExpanded = (el) => {
  if (el.matches("input[type=radio], input[type=checkbox]")) el.removeAttribute("aria-expanded");
};
new MutationObserver((changes) => changes.forEach((c) => dropExpanded(c.target))).observe(
  document.body,
  { subtree: true, attributes: true, attributeFilter: ["aria-expanded"] },
);
document.querySelectorAll("input[aria-expanded]").forEach(dropExpanded);
