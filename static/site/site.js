// Starts the GOV.UK components on the page, and again on whatever HTMX swaps in.
// Every form works without this file: it only enhances.
import { initAll } from "../vendor/govuk-frontend.min.js";

function start(scope) {
  initAll({ scope });
  // After a partial save the confirmation takes the focus, as a new page would.
  const focus = scope.querySelector("[data-tre-focus]");
  if (focus) {
    focus.setAttribute("tabindex", "-1");
    focus.focus();
  }
}

// htmx (loaded with defer, before this module) fires htmx:load for <body> when the page is
// ready and for each swapped fragment after that.
if (window.htmx) {
  window.htmx.onLoad(start);
} else {
  start(document.body);
}
