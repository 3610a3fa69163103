// Page layout helpers loaded on every signed-in page. Without this script every link stays
// shown and wide tables still scroll; the script only makes both easier on small screens.
(function () {
  "use strict";

  // On a phone the main navigation folds behind a "Menu" button, so the page's work starts
  // near the top of the screen.
  var button = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (button && nav) {
    document.querySelector(".topbar").classList.add("nav-folds");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    });
  }

  // A table wider than the screen scrolls inside its box: the box takes the keyboard's focus
  // (arrow keys scroll it) and is named after the table's caption or the heading before it.
  function headingBefore(box) {
    var caption = box.querySelector("caption");
    if (caption) return caption.textContent.trim();
    for (var el = box; el && el !== document.body; el = el.parentElement) {
      for (var sib = el.previousElementSibling; sib; sib = sib.previousElementSibling) {
        if (/^H[1-4]$/.test(sib.tagName)) return sib.textContent.trim();
        var inner = sib.querySelectorAll("h1, h2, h3, h4");
        if (inner.length) return inner[inner.length - 1].textContent.trim();
      }
    }
    return "";
  }
  var names = {};
  // The words of the page's language (base.html's script tag).
  var script = document.querySelector("script[data-scrolls]");
  var tableWord = (script && script.dataset.table) || "Table";
  var scrollsWords = (script && script.dataset.scrolls) || "{table}: scrolls sideways";
  function reachable(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      var name = scrollsWords.replace("{table}", headingBefore(box) || tableWord);
      names[name] = (names[name] || 0) + 1;
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", names[name] > 1 ? name + " (" + names[name] + ")" : name);
    } else if (!scrolls && box.getAttribute("role") === "region") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }
  var boxes = document.querySelectorAll(".table-wrap");
  boxes.forEach(reachable);
  window.addEventListener("resize", function () { boxes.forEach(reachable); });
})();
