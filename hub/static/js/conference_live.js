// The chair's live page: a refused form (400, or 409 when someone else changed the conference)
// comes back with its error summary, so htmx swaps it in as it would a success.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ((status === 400 || status === 409) && event.detail.elt.closest("[data-live-conference]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
