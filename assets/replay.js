// The replay's player: the playhead runs in the browser, the state at the playhead comes from the
// server (at most four times a second, one request at a time), the map is patched, never redrawn.
(function () {
  "use strict";

  var TICK_MS = 250;
  var format = null;  // the playhead's clock: day, month and time of day in Almaty, as the page's language writes them

  function clockText(ms) {
    if (format === null) {
      format = new Intl.DateTimeFormat(window.kuzetLang ? window.kuzetLang() : document.documentElement.lang, {
        timeZone: "Asia/Almaty", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit",
        second: "2-digit", hourCycle: "h23"
      });
    }
    return format.format(new Date(ms));
  }
  var player = null;

  function grid(id) {
    try { return window.dash_ag_grid && window.dash_ag_grid.getApi(id); } catch (e) { return null; }
  }

  function setup(root) {
    var before = player;
    player = {
      root: root, start: Number(root.dataset.start), end: Number(root.dataset.end),
      changes: JSON.parse(root.dataset.changes || "[]"), playhead: Number(root.dataset.start),
      playing: false, speed: 1, last: performance.now(), inFlight: false, requested: Number(root.dataset.start),
      wanted: false, timelineBound: false, current: -1, shown: Number(root.dataset.start)
    };
    root.querySelectorAll(".replay-speed").forEach(function (button) {
      button.addEventListener("click", function () { speed(Number(button.dataset.speed)); });
    });
    bind("replay-play", toggle);
    bind("replay-previous", function () { step(-1); });
    bind("replay-next", function () { step(1); });
    var scrubber = document.getElementById("replay-scrubber");
    if (scrubber) { scrubber.addEventListener("input", function () { seek(Number(scrubber.value)); }); }
    // The same window drawn anew (Dash re-rendered the page): the player goes on where it was.
    if (before && before.start === player.start && before.end === player.end) {
      player.playhead = before.playhead; player.playing = before.playing; player.wanted = true;
      speed(before.speed);
    }
    draw();
  }

  function bind(id, handler) {
    var el = document.getElementById(id);
    if (el) { el.addEventListener("click", handler); }
  }

  function speed(k) {
    player.speed = k;
    player.root.querySelectorAll(".replay-speed").forEach(function (b) {
      b.classList.toggle("active", Number(b.dataset.speed) === k);
    });
  }

  function toggle() {
    if (!player.playing && player.playhead >= player.end) { player.playhead = player.start; }
    player.playing = !player.playing;
    player.last = performance.now();
    draw();
  }

  function seek(ms) {
    player.playhead = Math.min(Math.max(ms, player.start), player.end);
    player.wanted = true;
    draw();
    request();
  }

  // The previous change strictly before the playhead, or the next one after it.
  function step(direction) {
    var list = player.changes, target = null, i;
    if (direction < 0) {
      for (i = list.length - 1; i >= 0; i--) { if (list[i] < player.playhead) { target = list[i]; break; } }
      if (target === null) { target = player.start; }
    } else {
      for (i = 0; i < list.length; i++) { if (list[i] > player.playhead) { target = list[i]; break; } }
      if (target === null) { target = player.end; }
    }
    seek(target);
  }

  function request() {
    if (player.inFlight || Math.round(player.playhead) === player.requested) { return; }
    player.inFlight = true;
    player.sentAt = performance.now();
    player.wanted = false;
    player.requested = Math.round(player.playhead);
    window.dash_clientside.set_props("replay-playhead", { data: player.requested });
  }

  function draw() {
    var root = player.root;
    root.dataset.playhead = String(Math.round(player.playhead));
    var clock = document.getElementById("replay-clock");
    if (clock) { clock.textContent = clockText(player.playhead); }
    var scrubber = document.getElementById("replay-scrubber");
    if (scrubber && document.activeElement !== scrubber) { scrubber.value = String(Math.round(player.playhead)); }
    var play = document.getElementById("replay-play");
    if (play) {
      (play.querySelector(".glyph") || play).textContent = player.playing ? "⏸" : "▶";
      play.classList.toggle("playing", player.playing);
      play.setAttribute("aria-label", player.playing ? kuzetT("Pause") : kuzetT("Play or pause"));
    }
    var queue = grid("replay-queue");
    if (queue) { queue.refreshCells({ columns: ["age"], force: true }); }
    markTimeline();
  }

  // Select the timeline's latest entry at or before the playhead, and keep it in view.
  function markTimeline() {
    var api = grid("replay-timeline");
    if (!api) { return; }
    if (!player.timelineBound) {
      api.addEventListener("cellClicked", function (e) { if (e.data) { seek(e.data.ms); } });
      player.timelineBound = true;
    }
    var index = -1;
    api.forEachNode(function (node) { if (node.data && node.data.ms <= player.playhead) { index = node.rowIndex; } });
    if (index === player.current) { return; }
    player.current = index;
    if (index < 0) { api.deselectAll(); return; }
    var node = api.getDisplayedRowAtIndex(index);
    if (node) { node.setSelected(true, true); api.ensureIndexVisible(index, "middle"); }
  }

  function tick() {
    var root = document.getElementById("replay-root");
    if (!root) { player = null; return; }
    if (!player || player.root !== root) { setup(root); }
    var now = performance.now();
    if (player.inFlight && now - player.sentAt > 5000) { player.inFlight = false; }  // an answer lost: ask again
    if (player.playing) {
      player.playhead += (now - player.last) * player.speed;
      if (player.playhead >= player.end) { player.playhead = player.end; player.playing = false; }
    }
    player.last = now;
    draw();
    if (player.playing || player.wanted) { request(); }
  }
  setInterval(tick, TICK_MS);

  document.addEventListener("keydown", function (e) {
    if (!player || !document.getElementById("replay-root")) { return; }
    var tag = (e.target && e.target.tagName) || "";
    if ((tag === "INPUT" && e.target.type !== "range") || tag === "TEXTAREA" || tag === "SELECT" ||
        (e.target && e.target.isContentEditable)) { return; }
    if (e.key === " " || e.code === "Space") { e.preventDefault(); toggle(); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); step(-1); }
    else if (e.key === "ArrowRight") { e.preventDefault(); step(1); }
    else if (e.key === "Home") { e.preventDefault(); seek(player.start); }
    else if (e.key === "End") { e.preventDefault(); seek(player.end); }
  });

  window.kuzetReplay = {
    // The server drew the state at ``shown``: the next request may go (a newer playhead, if one is wanted).
    drawn: function (shown) {
      if (!player) { return; }
      player.inFlight = false;
      player.shown = shown;
      if (Math.round(player.playhead) !== shown) { player.wanted = true; }
    },
    // What the player is at, for the keyboard hints and the browser tests: playhead, shown moment, speed.
    state: function () {
      return player && { playhead: player.playhead, shown: player.shown, playing: player.playing, speed: player.speed };
    }
  };
})();
