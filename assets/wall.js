// Wall screen behaviour that must not wait for a server round trip: clock, live ages,
// queue transactions from pushed rows, P1 alert, keyboard.
(function () {
  "use strict";

  function gridApi() {
    try { return window.dash_ag_grid && window.dash_ag_grid.getApi("wall-queue"); } catch (e) { return null; }
  }

  var audio = null;  // one context for the page: creating one costs tens of milliseconds, so never during an alert
  function audioContext() {
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
    return audio;
  }
  // Made while the wall is idle (it plays once the officer has clicked or pressed a key, as browsers require).
  if (/^\/wall\/?$/.test(window.location.pathname)) {
    (window.requestIdleCallback || function (f) { return setTimeout(f, 2000); })(audioContext);
  }

  function beep() {
    if (window.kuzetMuted) { return; }
    try {
      var ctx = audioContext();
      if (ctx.state === "suspended") { ctx.resume(); }
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "square"; osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.35);
    } catch (e) { /* autoplay blocked until the first click; the flash still shows */ }
  }

  // The P1 alert: a red frame over the wall whose opacity pulses three seconds. One element, animated by the
  // compositor: no class on the wall (that restyles every node) and no forced layout.
  function flash() {
    var wall = document.querySelector(".wall");
    if (!wall) { return; }
    var frame = wall.querySelector(".p1-frame");
    if (!frame) {
      frame = document.createElement("div");
      frame.className = "p1-frame";
      wall.appendChild(frame);
    }
    frame.animate([{ opacity: 0 }, { opacity: 1 }, { opacity: 0 }], { duration: 500, iterations: 6 });
    wall.setAttribute("data-p1-alerts", String(Number(wall.getAttribute("data-p1-alerts") || 0) + 1));
  }

  function wallDepartments() {
    var wall = document.querySelector(".wall[data-departments]");
    try { return JSON.parse(wall.getAttribute("data-departments")); } catch (e) { return []; }
  }

  window.kuzetWall = {
    chosen: [],  // department ids a city wall's chips filter the queue to (none: all)
    types: [],  // incident types the queue is filtered to (none: all)
    statuses: [],  // statuses the queue is filtered to (none: all)
    // The type and status pickers changed: filter the queue (and so the map) in the browser.
    filter: function (types, statuses) {
      window.kuzetWall.types = types || [];
      window.kuzetWall.statuses = statuses || [];
      var api = gridApi();
      if (api) { api.onFilterChanged(); }
      return window.dash_clientside.no_update;
    },
    // A push's department figures, counted in the store by the publisher: the top bar adds up the wall's departments,
    // and a city wall's chip takes its department's text.
    count: function (msg) {
      var wall = document.querySelector(".wall[data-figures]");
      if (!wall || !msg || !msg.counts) { return window.dash_clientside.no_update; }
      var figures = wall.__figures = wall.__figures || JSON.parse(wall.getAttribute("data-figures") || "{}");
      figures[String(msg.department_id)] = msg.counts;
      var here = wallDepartments();
      wall.querySelectorAll(".wall-top [data-figure]").forEach(function (cell) {
        var key = cell.getAttribute("data-figure"), sum = 0;
        here.forEach(function (d) { sum += (figures[String(d)] || {})[key] || 0; });
        if (cell.textContent !== String(sum)) { cell.textContent = String(sum); }
      });
      var chip = wall.querySelector('.dept-chip[data-department="' + msg.department_id + '"] .dept-chip-count');
      if (chip) {
        // "12 · 3 new": open, and unacknowledged when there are any (layouts/wall.chip_count's words).
        var text = msg.counts.unacknowledged ? kuzetT("%(open)s · %(new)s new", {
          open: window.kuzetNumber(msg.counts.open || 0), new: window.kuzetNumber(msg.counts.unacknowledged) })
          : window.kuzetNumber(msg.counts.open || 0);
        if (chip.textContent !== text) { chip.textContent = text; }
      }
      return window.dash_clientside.no_update;
    },
    // Apply a pushed {rows: [...]} message to the queue as an AG Grid row transaction, straight through the grid's
    // API: handed to Dash as the grid's rowTransaction prop, each push also re-sent the grid's 2,000 rows to Dash's
    // store (virtualRowData) for nothing.
    transaction: function (msg) {
      if (!msg || !msg.rows) { return window.dash_clientside.no_update; }
      var api = gridApi();
      var tx = { add: [], update: [], remove: [] };
      var newP1 = false;
      var here = wallDepartments();
      msg.rows.forEach(function (row) {
        var exists = api && api.getRowNode(String(row.id));
        // A transfer tells the old department's room "not open here" under the row's new department: a city
        // wall that shows both keeps the row. A row of a department this wall does not show leaves it.
        var open = (row.open || row.department_id !== msg.department_id) && here.indexOf(row.department_id) >= 0;
        if (!open) { if (exists) { tx.remove.push(row); } return; }
        if (exists) { tx.update.push(row); } else { tx.add.push(row); if (row.priority === 1) { newP1 = true; } }
      });
      if (newP1) { flash(); beep(); }
      if (!api) { return tx; }  // the grid is not built yet: Dash hands it the transaction when it is
      api.applyTransaction(tx);
      return window.dash_clientside.no_update;
    },
    // A units push {units: [...]} as a transaction of the units panel; a unit of another wall leaves it.
    unitTransaction: function (msg) {
      if (!msg || !msg.units) { return window.dash_clientside.no_update; }
      var api = null;
      try { api = window.dash_ag_grid && window.dash_ag_grid.getApi("wall-units"); } catch (e) { api = null; }
      var here = wallDepartments();
      var tx = { add: [], update: [], remove: [] };
      msg.units.forEach(function (unit) {
        var exists = api && api.getRowNode(String(unit.id));
        if (here.indexOf(unit.department_id) < 0) { if (exists) { tx.remove.push(unit); } return; }
        (exists ? tx.update : tx.add).push(unit);
      });
      if (!api) { return tx; }  // the grid is not built yet: Dash hands it the transaction when it is
      api.applyTransaction(tx);
      return window.dash_clientside.no_update;
    }
  };

  function tick() {
    var clock = document.getElementById("wall-clock");
    if (clock) { clock.textContent = window.kuzetTime(new Date(), true); }
    var api = gridApi();
    if (api) { api.refreshCells({ columns: ["age"], force: true }); }
    var units = null;
    try { units = window.dash_ag_grid && window.dash_ag_grid.getApi("wall-units"); } catch (e) { units = null; }
    if (units) { units.refreshCells({ columns: ["since"], force: true }); }
  }
  setInterval(tick, 1000);


  function moveSelection(api, delta) {
    var nodes = [];
    api.forEachNodeAfterFilterAndSort(function (n) { nodes.push(n); });
    if (!nodes.length) { return; }
    var selected = api.getSelectedNodes()[0];
    var index = selected ? nodes.indexOf(selected) + delta : 0;
    index = Math.max(0, Math.min(nodes.length - 1, index));
    nodes[index].setSelected(true, true);
    api.ensureNodeVisible(nodes[index]);
    // Tell Dash now: the grid reports a selection a moment later, and an officer who presses A at once
    // (or a busy machine) would otherwise act on the row selected before.
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("wall-queue", { selectedRows: api.getSelectedRows() });
    }
  }

  // A city wall's department chips: each click adds or removes a department from the queue's filter.
  document.addEventListener("click", function (event) {
    var chip = event.target && event.target.closest && event.target.closest(".dept-chip");
    var api = gridApi();
    if (!chip || !api) { return; }
    var id = Number(chip.getAttribute("data-department"));
    var chosen = window.kuzetWall.chosen;
    var at = chosen.indexOf(id);
    if (at >= 0) { chosen.splice(at, 1); } else { chosen.push(id); }
    chip.classList.toggle("chip-on", at < 0);
    api.onFilterChanged();
  });

  // The queue's search box filters by any text the queue shows, as the officer types.
  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "wall-queue-search") { return; }
    var api = gridApi();
    if (api) { api.setGridOption("quickFilterText", event.target.value); }
  });

  // The legend folds away on a click on its title, and stays as the officer left it on this screen.
  document.addEventListener("click", function (event) {
    var toggle = event.target && event.target.closest && event.target.closest(".legend-toggle");
    if (!toggle) { return; }
    var legend = toggle.closest(".map-legend");
    var folded = legend.classList.toggle("legend-collapsed");
    toggle.setAttribute("aria-expanded", folded ? "false" : "true");
    try { window.localStorage.setItem("kuzet.legend", folded ? "folded" : "open"); } catch (e) { /* private mode */ }
  });
  setInterval(function () {
    var legend = document.querySelector(".map-legend:not([data-restored])");
    if (!legend) { return; }
    legend.setAttribute("data-restored", "1");
    var folded = false;
    try { folded = window.localStorage.getItem("kuzet.legend") === "folded"; } catch (e) { /* private mode */ }
    legend.classList.toggle("legend-collapsed", folded);
  }, 500);

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("#wall-call-here");
    var wall = document.querySelector(".wall");
    if (!button || !wall) { return; }
    wall.classList.toggle("call-mode");  // a second press leaves the mode
  });

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector(".wall")) { return; }
    if (event.key === "Escape") {
      var calling = document.querySelector(".wall.call-mode");
      if (calling) { calling.classList.remove("call-mode"); return; }
    }
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    var api = gridApi();
    if (!api) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      moveSelection(api, event.key === "ArrowDown" ? 1 : -1);
      event.preventDefault();
    } else if (event.key === "a" || event.key === "A" || event.key === "ф" || event.key === "Ф") {
      var button = document.getElementById("wall-ack");
      if (button) { button.click(); }
    } else if (event.key === "d" || event.key === "D" || event.key === "в" || event.key === "В") {
      var dispatchButton = document.getElementById("wall-dispatch");
      if (dispatchButton) { dispatchButton.click(); }
    } else if (event.key === "Enter") {
      var chosen = api.getSelectedRows()[0];
      if (chosen) { window.location.assign("/incidents/" + chosen.id); }
    } else if (event.key === "m" || event.key === "M" || event.key === "ь" || event.key === "Ь") {
      window.kuzetMuted = !window.kuzetMuted;
      var wallEl = document.querySelector(".wall");
      if (wallEl) { wallEl.classList.toggle("muted", !!window.kuzetMuted); }  // shown beside the clock
    }
  });
})();
