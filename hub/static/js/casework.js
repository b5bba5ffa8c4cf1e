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
// The case's tabs: on a narrow screen they scroll sideways, so the chosen one is brought into
// view (after a tab swap too).
function showChosenTab() {
  const chosen = document.querySelector("[data-tab-scroller] .govuk-tabs__list-item--selected");
  const scroller = chosen && chosen.closest("[data-tab-scroller]");
  if (scroller && scroller.scrollWidth > scroller.clientWidth) {
    scroller.scrollLeft = chosen.offsetLeft - (scroller.clientWidth - chosen.offsetWidth) / 2;
  }
}
showChosenTab();
document.body.addEventListener("htmx:afterSettle", showChosenTab);
