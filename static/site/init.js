// Runs first in <body>: tells the GOV.UK components' CSS that JavaScript (and ES modules) work.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
