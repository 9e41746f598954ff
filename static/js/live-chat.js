/* Live comments (弹幕) and likes (点赞): small enhancements. Without this file the panel still
   works: plain forms post and redirect back, and a reload shows the newest comments. */
(function () {
  "use strict";

  var keepTyping = false;  // the comment form was sent from the keyboard: give its focus back
  var keptScroll = null;   // how far up the viewer had scrolled the feed

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.matches && elt.matches("form.chat-form")) {
      keepTyping = document.activeElement && document.activeElement.id === "chat-body";
    }
  });

  // The feed is swapped whole; newest comments are at the bottom (column-reverse, where a
  // scrollTop of 0 is the newest). Whoever scrolled up to read stays where they were.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || (target.id !== "live-comments" && target.id !== "live-chat")) { return; }
    var list = target.querySelector(".chat-list");
    keptScroll = list && list.scrollTop !== 0 ? list.scrollTop : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var list = document.querySelector("#live-comments .chat-list");
    if (list && keptScroll !== null) { list.scrollTop = keptScroll; }
    keptScroll = null;
    if (keepTyping) {
      keepTyping = false;
      var input = document.getElementById("chat-body");
      if (input) { input.focus(); }
    }
  });

  // A tap on 点赞 floats a heart up from the button (decoration only; the count comes from
  // the server).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.like-button");
    if (!button || window.matchMedia("(prefers-reduced-motion: reduce)").matches) { return; }
    var area = document.getElementById("live-chat");
    if (!area) { return; }
    var heart = document.createElement("span");
    heart.className = "like-float";
    heart.setAttribute("aria-hidden", "true");
    heart.style.setProperty("--drift", (Math.random() * 40 - 20).toFixed(0) + "px");
    heart.style.setProperty("--hue", String(330 + Math.floor(Math.random() * 40)));
    var box = button.getBoundingClientRect();
    var base = area.getBoundingClientRect();
    heart.style.left = (box.left - base.left + box.width / 2 - 10) + "px";
    heart.style.top = (box.top - base.top - 6) + "px";
    area.appendChild(heart);
    heart.addEventListener("animationend", function () { heart.remove(); });
  });
})();
