// The coverage page's map is Plotly's MapLibre, whose canvas and attribution button name themselves in
// English: the page's language names them instead (aria-label, title), as on the incident page.
(function () {
  "use strict";
  var OWN_WORDS = { "Map": function () { return kuzetT("Map"); },
                    "Toggle attribution": function () { return kuzetT("Toggle attribution"); } };

  function relabel() {
    if (!window.kuzetT || !document.querySelector(".coverage-map")) { return; }
    document.querySelectorAll(".coverage-map [aria-label], .coverage-map [title]").forEach(function (el) {
      ["aria-label", "title"].forEach(function (name) {
        var said = el.getAttribute(name);
        if (said && OWN_WORDS[said]) {
          var words = OWN_WORDS[said]();
          if (words !== said) { el.setAttribute(name, words); }
        }
      });
    });
  }

  new MutationObserver(relabel).observe(document.documentElement, { childList: true, subtree: true });
}());
