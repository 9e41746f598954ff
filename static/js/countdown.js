/* Countdowns (倒计时) as 02:13:45: tick in the browser from the server's deadline, corrected
   for the phone's clock by the server's "now" sent beside it. At zero the element fires a
   `countdown-zero` event (bubbling), which the flash-sale panel's hx-trigger listens for: the
   server alone decides whether the sale is open and sends the buy button.
   Polled panels send their ETag (app.js). Works without this file: the
   page shows the time left when it was rendered, and a reload shows the true state. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    return pad(h) + ":" + pad(m) + ":" + pad(total % 60);
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll(".countdown[data-deadline]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      if (!el.hasAttribute("data-offset")) {
        // server time minus this phone's time, measured when the element first appears
        el.setAttribute("data-offset", String(parseInt(el.getAttribute("data-now"), 10) - now));
      }
      var left = parseInt(el.getAttribute("data-deadline"), 10)
        - (now + parseInt(el.getAttribute("data-offset"), 10));
      var text = format(left);
      if (el.textContent !== text) { el.textContent = text; }
      // At zero ask the server; if the element is still here (the server's clock had not
      // got there yet), ask again every 2 s, a few times, then leave it to the polling.
      var fired = parseInt(el.getAttribute("data-fired") || "0", 10);
      var asked = parseInt(el.getAttribute("data-asked") || "0", 10);
      if (left <= 0 && asked < 5 && now - fired >= 2000) {
        el.setAttribute("data-fired", String(now));
        el.setAttribute("data-asked", String(asked + 1));
        el.dispatchEvent(new CustomEvent("countdown-zero", { bubbles: true }));
      }
    }
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 250);

})();
