/* Small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Polled fragments (live rooms, comments, flash panels, leaderboards, cart stock) carry the
  // ETag of what they show in data-etag: send it, and a 304 (nothing changed) keeps the page
  // as it is instead of swapping in the empty body.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    var etag = elt.getAttribute && elt.getAttribute("data-etag");
    if (etag) { event.detail.headers["If-None-Match"] = "\"" + etag + "\""; }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 304) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
    }
  });

  // Server errors (5xx) are not swapped by htmx: say so in the status area instead.
  document.addEventListener("htmx:responseError", function (event) {
    var area = document.getElementById("flash-area");
    if (!area) { return; }
    var note = document.createElement("p");
    note.className = "flash flash-error";
    note.textContent = document.documentElement.lang === "en"
      ? "Something went wrong. Please try again."
      : "服务器开小差了，请稍后再试。";
    area.replaceChildren(note);
  });
  document.addEventListener("htmx:sendError", function () {
    var area = document.getElementById("flash-area");
    if (!area) { return; }
    var note = document.createElement("p");
    note.className = "flash flash-error";
    note.textContent = document.documentElement.lang === "en"
      ? "Network problem. Check your connection."
      : "网络不稳定，请检查网络后重试。";
    area.replaceChildren(note);
  });
})();
