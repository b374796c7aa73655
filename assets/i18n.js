// The catalogue's messages for the page's own scripts, in the page's language (the server puts them in
// #kuzet-catalogue; <html lang> names the language). kuzetT("Open incidents") or kuzetT("%(n)s open", {n: 3}).
// Times are always Asia/Almaty, numbers as the language writes them (Intl, with the browser's CLDR data).
(function () {
  "use strict";
  var loaded = null;

  function catalogue() {
    if (loaded === null) {
      var node = document.getElementById("kuzet-catalogue");
      try { loaded = node ? JSON.parse(node.textContent || "{}") : {}; } catch (e) { loaded = {}; }
      loaded.messages = loaded.messages || {};
      loaded.terms = loaded.terms || {};
    }
    return loaded;
  }

  function lang() { return document.documentElement.lang || "ru"; }

  window.kuzetT = function (message, params) {
    var text = catalogue().messages[message] || message;
    if (!params) { return text; }
    return text.replace(/%\(([a-z_]+)\)s/g, function (whole, name) {
      return params[name] === undefined || params[name] === null ? whole : String(params[name]);
    });
  };
  // What people call a stored code (a status, an outcome, a type): services/i18n/terms.py, in the page's language.
  window.kuzetTerm = function (kind, code) {
    if (code === null || code === undefined || code === "") { return "—"; }
    var names = catalogue().terms[kind] || {};
    return names[code] || String(code);
  };
  window.kuzetLang = lang;
  window.kuzetTime = function (value, withSeconds) {
    var moment = value instanceof Date ? value : new Date(value);
    if (isNaN(moment.getTime())) { return "—"; }
    var options = { timeZone: "Asia/Almaty", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withSeconds) { options.second = "2-digit"; }
    return new Intl.DateTimeFormat(lang(), options).format(moment);
  };
  window.kuzetDateTime = function (value) {
    var moment = value instanceof Date ? value : new Date(value);
    if (isNaN(moment.getTime())) { return "—"; }
    return new Intl.DateTimeFormat(lang(), { timeZone: "Asia/Almaty", dateStyle: "medium", timeStyle: "medium",
                                             hourCycle: "h23" }).format(moment);
  };
  window.kuzetNumber = function (value) { return new Intl.NumberFormat(lang()).format(value); };

  // Plotly's maps (the incident inset, coverage, the replay) are MapLibre's, whose canvas and attribution
  // button name themselves in English: every page's maps take the page's words instead (aria-label, title).
  var MAP_WORDS = ["Map", "Toggle attribution"];

  function relabelMaps() {
    if (!document.querySelector(".js-plotly-plot")) { return; }  // the wall draws no Plotly map: nothing to do
    document.querySelectorAll(".js-plotly-plot [aria-label], .js-plotly-plot [title]").forEach(function (el) {
      ["aria-label", "title"].forEach(function (name) {
        var said = el.getAttribute(name);
        if (said && MAP_WORDS.indexOf(said) >= 0) {
          var words = window.kuzetT(said);
          if (words !== said) { el.setAttribute(name, words); }
        }
      });
    });
  }

  new MutationObserver(relabelMaps).observe(document.documentElement, { childList: true, subtree: true });
}());
