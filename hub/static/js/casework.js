// Case workspace and planner board. Polling elements marked data-poll-unless-focused skip a
// refresh while focus is inside them, so a keyboard user moving a card never loses their place.
document.body.addEventListener("htmx:beforeRequest", (event) => {
  const element = event.detail.elt;
  // A card being dragged is not swapped away from under the pointer either.
  const busy = element.contains(document.activeElement) || element.dataset.dragging;
  if (element.hasAttribute("data-poll-unless-focused") && busy) {
    event.preventDefault();
  }
});
