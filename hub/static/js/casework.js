// Case workspace and planner board. Polling elements marked data-poll-unless-focused skip a
// refresh while focus is inside them, so a keyboard user moving a card never loses their place.
document.body.addEventListener("htmx:beforeRequest", (event) => {
  const element = event.detail.elt;
  if (element.hasAttribute("data-poll-unless-focused") && element.contains(document.activeElement)) {
    event.preventDefault();
  }
});
