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

// A person list that follows an agency list (data-follows names the agency select): only the
// chosen agency's people are offered. The server refuses a person of another agency anyway;
// this only keeps a long list of every partner's people from being offered.
function followAgency(select) {
  const agency = document.getElementById(select.dataset.follows);
  if (!agency) return;
  let keep = false;
  for (const option of select.options) {
    const mine = !option.dataset.agency || !agency.value || option.dataset.agency === agency.value;
    option.hidden = !mine;
    option.disabled = !mine;
    if (mine && option.selected) keep = true;
  }
  if (!keep) {
    const first = [...select.options].find((o) => !o.disabled);
    if (first) first.selected = true;
  }
}

function followAll(scope) {
  scope.querySelectorAll("select[data-follows]").forEach(followAgency);
}

document.addEventListener("change", (event) => {
  const changed = event.target;
  if (!(changed instanceof HTMLSelectElement) || !changed.id) return;
  document.querySelectorAll(`select[data-follows="${changed.id}"]`).forEach(followAgency);
});
document.body.addEventListener("htmx:afterSwap", (event) => followAll(event.detail.target));
followAll(document);
