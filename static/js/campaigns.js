// Campaign countdowns (倒计时): tick every second from the server's deadline. The server's
// `now` sets the offset, so a wrong phone clock does not move the deadline. At zero the page
// reloads and the server decides the new phase. Without JavaScript the server's figure stays.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function setup(el) {
    var deadline = Date.parse(el.getAttribute("data-countdown"));
    var serverNow = Date.parse(el.getAttribute("data-server-now"));
    if (isNaN(deadline) || isNaN(serverNow)) { return; }
    var offset = serverNow - Date.now();
    var digits = el.querySelector(".countdown-digits");
    var dayWord = el.getAttribute("data-day-word") || "";
    var reloaded = false;

    function tick() {
      var left = Math.max(0, Math.floor((deadline - (Date.now() + offset)) / 1000));
      var days = Math.floor(left / 86400);
      var rest = left % 86400;
      var blocks = digits.querySelectorAll(".countdown-block");
      if (blocks.length === 3) {
        blocks[0].textContent = pad(Math.floor(rest / 3600));
        blocks[1].textContent = pad(Math.floor((rest % 3600) / 60));
        blocks[2].textContent = pad(rest % 60);
      }
      var dayEl = digits.querySelector(".countdown-days");
      if (dayEl) {
        if (days > 0) { dayEl.textContent = days + dayWord; } else { dayEl.hidden = true; }
      }
      if (left === 0 && !reloaded) {
        reloaded = true;
        window.setTimeout(function () { window.location.reload(); }, 1500);
      }
    }

    tick();
    window.setInterval(tick, 1000);
  }

  function init() {
    var all = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < all.length; i++) { setup(all[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
