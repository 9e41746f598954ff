// 源头实拍: turn each video's poster + link into an inline player (no autoplay, nothing
// fetched until the buyer presses play). With JavaScript off the poster and link stay.
(function () {
  "use strict";
  function upgrade(box) {
    var src = box.getAttribute("data-src");
    if (!src || box.getAttribute("data-ready")) { return; }
    var video = document.createElement("video");
    video.controls = true;
    video.setAttribute("playsinline", "");
    video.setAttribute("preload", "none");
    video.className = "video-element";
    var poster = box.getAttribute("data-poster");
    if (poster) { video.setAttribute("poster", poster); }
    var label = box.getAttribute("data-label");
    if (label) { video.setAttribute("aria-label", label); }
    var source = document.createElement("source");
    source.src = src;
    source.type = box.getAttribute("data-type") || "video/mp4";
    video.appendChild(source);
    var fallback = box.querySelector(".video-fallback");
    if (fallback) { video.appendChild(fallback.cloneNode(true)); fallback.remove(); }
    box.appendChild(video);
    box.setAttribute("data-ready", "1");
  }
  function init(root) {
    var boxes = (root || document).querySelectorAll(".video-player[data-src]");
    for (var i = 0; i < boxes.length; i++) { upgrade(boxes[i]); }
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
