// Runs first, before the page paints, so GOV.UK components style for JavaScript at once.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
