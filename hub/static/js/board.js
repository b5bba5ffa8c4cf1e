// The planner board: drag a card to another column, or press the left or right arrow key on its
// handle. Either way the card's own Move form is sent (through htmx), so the stage rules, the
// confirmation page of a backward move and a refusal said on the card are the server's, just as
// they are without JavaScript.
/* global Sortable, htmx */
let focusAfterSwap = null;

function announce(text) {
  const region = document.querySelector("[data-board-announce]");
  if (region) region.textContent = text;
}

function columns() {
  return Array.from(document.querySelectorAll("[data-board-sortable] .hub-board__cards"));
}

function sendMove(card, list) {
  const form = card.querySelector(".hub-card__move form");
  const select = form && form.querySelector("select[name=stage]");
  if (!select || list.dataset.stage === card.dataset.stage) return;
  select.value = list.dataset.stage;
  focusAfterSwap = card.dataset.caseId;
  const reference = card.querySelector(".hub-card__ref").textContent.trim();
  announce(`Moving ${reference} to ${list.dataset.stageLabel.toLowerCase()}`);
  // htmx binds freshly swapped cards only when they settle (~20 ms later); a quick second key
  // press in that gap would otherwise send the form without htmx and reload the whole page.
  if (typeof htmx !== "undefined") htmx.process(form);
  form.requestSubmit();
}

function setUp() {
  if (typeof Sortable === "undefined") return; // the Move menus still work
  const poller = document.getElementById("board-columns");
  for (const list of columns()) {
    if (list.dataset.sortableReady) continue;
    list.dataset.sortableReady = "true";
    Sortable.create(list, {
      group: "board",
      draggable: "[data-movable]",
      // Links, the Move menu and its controls keep their own clicks and taps.
      filter: "a, summary, select, input, .hub-card__move form button",
      preventOnFilter: false,
      // On a touch screen a card moves after a short press, so a thumb still scrolls the page.
      delay: 250,
      delayOnTouchOnly: true,
      animation: 150,
      ghostClass: "hub-card--ghost",
      onStart: () => {
        if (poller) poller.dataset.dragging = "true";
      },
      onEnd: (event) => {
        if (poller) delete poller.dataset.dragging;
        if (event.from !== event.to) sendMove(event.item, event.to);
      },
    });
  }
}

// Left and right arrows on a card's handle move it one stage back or on.
document.addEventListener("keydown", (event) => {
  const handle = event.target.closest && event.target.closest("[data-move-handle]");
  if (!handle || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
  event.preventDefault();
  const card = handle.closest(".hub-card");
  const lists = columns();
  const here = lists.findIndex((list) => list.dataset.stage === card.dataset.stage);
  const there = lists[here + (event.key === "ArrowRight" ? 1 : -1)];
  if (!there) {
    announce(event.key === "ArrowRight" ? "This is the last column" : "This is the first column");
    return;
  }
  sendMove(card, there);
});

// After the board comes back, focus returns to the moved card and its outcome is announced.
document.body.addEventListener("htmx:afterSettle", () => {
  setUp();
  if (!focusAfterSwap) return;
  const card = document.getElementById(`card-${focusAfterSwap}`);
  focusAfterSwap = null;
  if (!card) return;
  const target = card.querySelector("[data-move-handle]") || card.querySelector("a");
  if (target) target.focus();
  const refusal = card.querySelector(".hub-card__refusal");
  const banner = document.querySelector("[data-testid=board-message]");
  if (refusal) announce(refusal.textContent.trim());
  else if (banner) announce(banner.textContent.trim());
});

setUp();
