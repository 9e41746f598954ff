/* Product photos: the dots follow the photo in view, and a tap on a dot slides the gallery
   sideways without moving the page. Without this file each photo carries its own "2/5" and
   the dots are plain links to #photo-N. */
(function () {
  "use strict";
  function setup() {
    var gallery = document.getElementById("gallery");
    var dots = document.querySelectorAll(".gallery-dots a[data-photo]");
    if (!gallery || !dots.length) { return; }
    function current() {
      var width = gallery.clientWidth || 1;
      return Math.round(gallery.scrollLeft / width) + 1;
    }
    function mark(n) {
      dots.forEach(function (dot) {
        if (Number(dot.getAttribute("data-photo")) === n) { dot.setAttribute("aria-current", "true"); }
        else { dot.removeAttribute("aria-current"); }
      });
    }
    var pending = false;
    gallery.addEventListener("scroll", function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; mark(current()); });
    }, { passive: true });
    dots.forEach(function (dot) {
      dot.addEventListener("click", function (event) {
        event.preventDefault();
        var n = Number(dot.getAttribute("data-photo"));
        gallery.scrollTo({ left: (n - 1) * gallery.clientWidth });
        mark(n);
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setup); }
  else { setup(); }
})();
