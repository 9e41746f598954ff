/* Live rooms and 闪电购: small enhancements. Every page works without this file. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // After the console or 闪电购 form comes back: take the anchor to what needs a look — the
  // field to fix, the message, or the "listed" card at the top of the form.
  document.addEventListener("htmx:afterSettle", function () {
    var area = document.getElementById("quick") || document.getElementById("console");
    if (!area || area.getAttribute("data-seen") === "1") { return; }
    area.setAttribute("data-seen", "1");
    var target = area.querySelector("[aria-invalid=true]");
    if (target) { target.focus(); return; }
    target = area.querySelector("[role=alert], .listed-card");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });

  // 闪电购: a photo over the limit is refused before it is uploaded, with the same message
  // the server gives; a chosen photo is previewed in the camera tile.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var file = input.files && input.files[0];
    var message = document.getElementById("photo-error");
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    if (file && limit && file.size > limit) {
      input.value = "";
      if (message) {
        message.textContent = input.getAttribute("data-too-large");
        message.hidden = false;
      }
      input.setAttribute("aria-invalid", "true");
      return;
    }
    if (message) { message.hidden = true; }
    input.removeAttribute("aria-invalid");
    var tile = input.closest(".photo-field");
    var old = tile && tile.querySelector(".photo-preview");
    if (old) { old.remove(); }
    if (file && tile && window.FileReader && file.type.indexOf("image/") === 0) {
      // A data: URL, since the CSP allows images from 'self' and data: only.
      var reader = new FileReader();
      reader.onload = function () {
        var preview = document.createElement("img");
        preview.className = "photo-preview";
        preview.alt = "";
        preview.src = reader.result;
        tile.querySelector(".photo-drop").prepend(preview);
      };
      reader.readAsDataURL(file);
    }
  });

  // Stream setup: copy the server URL or the key into the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    field.select();
    var done = function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied");
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () {});
    }
  });
})();
