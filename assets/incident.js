// Incident page keyboard: Esc back to the wall, letters for actions, 1-9 tick SOP steps.
(function () {
  "use strict";

  function actionButton(action) {
    // Dash renders pattern-matching ids as JSON with sorted keys.
    return document.getElementById(JSON.stringify({ action: action, type: "incident-action" }));
  }

  function click(element) {
    if (element && !element.disabled) { element.click(); return true; }
    return false;
  }

  var keys = {
    a: function () { return click(actionButton("acknowledge")); },
    d: function () { return click(actionButton("dispatch")); },
    n: function () { return click(actionButton("arrive")); },
    c: function () { return click(actionButton("close")); },
    r: function () { return click(document.getElementById("incident-resolve")); },
    o: function () {
      var select = document.getElementById("incident-outcome");
      if (select && !select.disabled) { select.focus(); select.click(); return true; }
      return false;
    }
  };

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector(".incident-page")) { return; }
    if (event.key === "Escape") {
      if (document.activeElement && document.activeElement !== document.body) { document.activeElement.blur(); return; }
      window.location.assign("/wall");
      return;
    }
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    // By the key's place, not its letter: the same keys work in the Russian and Kazakh layouts (Ф is A).
    var code = event.code || "";
    var key = /^Key[A-Z]$/.test(code) ? code.slice(3).toLowerCase() : /^(Digit|Numpad)[1-9]$/.test(code)
      ? code.slice(-1) : event.key.toLowerCase();
    if (/^[1-9]$/.test(key)) {
      var boxes = document.querySelectorAll(".sop-step input[type=checkbox]");
      var box = boxes[Number(key) - 1];
      if (box && !box.disabled && !box.checked) { box.click(); event.preventDefault(); }
      return;
    }
    if (keys[key] && keys[key]()) { event.preventDefault(); }
  });
})();
