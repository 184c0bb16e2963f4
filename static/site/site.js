// Starts the GOV.UK components on the page, and again on whatever HTMX swaps in.
// Every form works without this file: it only enhances.
import { initAll } from "../vendor/govuk-frontend.min.js";

// A stacked table (tre-table--stack) shows each cell's column header beside it on a phone.
function labelCells(scope) {
  for (const table of scope.querySelectorAll("table.tre-table--stack")) {
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, index) => {
        if (cell.tagName === "TD" && headers[index] && !cell.hasAttribute("colspan")) {
          cell.setAttribute("data-label", headers[index]);
        }
      });
    }
  }
}

function start(scope) {
  initAll({ scope });
  labelCells(scope);
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
