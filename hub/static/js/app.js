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
