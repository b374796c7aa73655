/* Kuzet video panes: a camera's live view through the centre (/video/<camera id>/...), HLS with hls.js or WebRTC (WHEP).
 *
 * A pane is any element with data-kuzet-video="hls|whep" and data-camera (layouts/incident.py video_pane). It plays
 * only while it is on screen and the tab is visible, pauses (and ends its view on record) otherwise, retries when the
 * stream stalls or fails, says "no signal" (in the page's language, kuzetT) with the reason, and shows how far behind live it is.
 * The wall's tile (#wall-video) follows the selected incident; V shows and hides it. G opens the incident page's grid
 * of the nearest cameras. Evidence hash badges ([data-check]) are filled from the centre's check.
 */
(function () {
  "use strict";
  var HLS_SRC = "/assets/vendor/hls.js/hls.min.js";  // tools/npm_assets.py: pinned, from the npm registry
  var RETRY_MS = [2000, 4000, 8000, 15000, 30000];
  var STALL_MS = 8000;
  var START_MS = 20000;
  var PAUSE_AFTER_MS = 1500;
  var players = new Map();
  var hlsEngine = null;

  function loadHls() {
    if (window.Hls) { return Promise.resolve(window.Hls); }
    if (hlsEngine) { return hlsEngine; }
    hlsEngine = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = HLS_SRC;
      script.onload = function () { resolve(window.Hls); };
      script.onerror = function () { hlsEngine = null; reject(new Error(kuzetT("the HLS player did not load"))); };
      document.head.appendChild(script);
    });
    return hlsEngine;
  }

  function reasonOf(text, fallback) {
    // The centre answers refusals as problem+json: its detail is the reason a person can act on.
    try { var doc = JSON.parse(text); if (doc && doc.detail) { return doc.detail; } } catch (e) { /* not JSON */ }
    return fallback;
  }

  function Player(pane) {
    this.pane = pane;
    this.camera = pane.getAttribute("data-camera");
    this.protocol = pane.getAttribute("data-kuzet-video");
    this.incident = pane.getAttribute("data-incident") || "";
    this.state = "idle";  // idle | starting | playing | paused | failed
    this.reason = "";
    this.view = null;
    this.failures = 0;
    this.retryTimer = null;
    this.lastTime = -1;
    this.lastProgress = Date.now();
    this.latency = null;
    this.video = document.createElement("video");
    this.video.muted = true;  // browsers play muted video without a click; the duty room has its own sound
    this.video.playsInline = true;
    this.video.autoplay = true;
    this.video.className = "video-player";
    this.status = document.createElement("div");
    this.status.className = "video-status";
    this.status.setAttribute("role", "status");
    pane.appendChild(this.video);
    pane.appendChild(this.status);
    var self = this;
    this.video.addEventListener("timeupdate", function () { self.progressed(); });
    this.show();
  }

  // The picture moved on: the stall clock restarts, and the pane says it is live.
  Player.prototype.progressed = function () {
    if (this.state !== "starting" && this.state !== "playing") { return; }
    var t = this.video.currentTime;
    if (t === this.lastTime || this.video.readyState < 3) { return; }
    this.lastTime = t;
    this.lastProgress = Date.now();
    if (this.hls && typeof this.hls.latency === "number" && isFinite(this.hls.latency)) { this.latency = this.hls.latency; }
    this.playing();
  };

  Player.prototype.query = function () {
    return this.incident ? "?incident=" + encodeURIComponent(this.incident) : "";
  };

  Player.prototype.show = function () {
    var text, cls;
    if (this.state === "playing") {
      cls = "live";
      text = kuzetT("● LIVE") + (this.latency === null ? ""
        : " · " + kuzetT("−%(s)s s behind live", { s: kuzetNumber(Number(this.latency.toFixed(1))) }));
    } else if (this.state === "failed") {
      cls = "nosignal";
      text = kuzetT("no signal: %(reason)s", { reason: this.reason }) + (this.retryTimer ? " · " + kuzetT("retrying…") : "");
    } else if (this.state === "paused") {
      cls = "paused"; text = kuzetT("paused (not on screen)");
    } else {
      cls = "starting"; text = kuzetT("connecting…");
    }
    this.status.textContent = text;
    this.pane.setAttribute("data-state", this.state);
    this.status.className = "video-status " + cls;
  };

  Player.prototype.start = function () {
    if (this.state === "starting" || this.state === "playing") { return; }
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.state = "starting";
    this.lastProgress = Date.now();
    this.show();
    if (this.protocol === "whep") { this.startWhep(); } else { this.startHls(); }
  };

  Player.prototype.fail = function (reason) {
    this.teardown();
    this.state = "failed";
    this.reason = reason;
    var self = this;
    var wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
    this.failures += 1;
    this.retryTimer = setTimeout(function () { self.retryTimer = null; if (self.wanted()) { self.start(); } }, wait);
    this.show();
  };

  Player.prototype.playing = function () {
    if (this.state !== "playing") { this.failures = 0; }
    this.state = "playing";
    this.show();
  };

  Player.prototype.startHls = function () {
    var self = this;
    loadHls().then(function (Hls) {
      if (self.state !== "starting") { return; }
      if (!Hls.isSupported()) { self.fail(kuzetT("this browser cannot play HLS")); return; }
      var hls = new Hls({ liveSyncDurationCount: 3, manifestLoadingMaxRetry: 1, levelLoadingMaxRetry: 2,
                          fragLoadingMaxRetry: 2, backBufferLength: 10 });
      self.hls = hls;
      hls.on(Hls.Events.MANIFEST_LOADED, function (_e, data) {
        var xhr = data && data.networkDetails;
        var view = xhr && xhr.getResponseHeader ? xhr.getResponseHeader("X-Kuzet-View") : null;
        if (view) { self.view = view; }
      });
      hls.on(Hls.Events.ERROR, function (_e, data) {
        if (!data.fatal) { return; }
        var xhr = data.networkDetails, code = data.response && data.response.code;
        var text = xhr && typeof xhr.responseText === "string" ? xhr.responseText : "";
        var fallback = (code ? "HTTP " + code + " (" + data.details + ")" : data.details)
          + (data.error && data.error.message ? ": " + data.error.message : "");
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR && self.recovered !== true) {
          self.recovered = true;  // one decoder recovery before giving up on this attempt
          hls.recoverMediaError();
          return;
        }
        self.fail(reasonOf(text, fallback));
      });
      hls.loadSource("/video/" + self.camera + "/live.m3u8" + self.query());
      hls.attachMedia(self.video);
      self.video.play().catch(function () { /* autoplay waits for data */ });
    }).catch(function (err) { self.fail(String(err.message || err)); });
  };

  Player.prototype.startWhep = function () {
    var self = this;
    var pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = function (event) { self.video.srcObject = event.streams[0] || new MediaStream([event.track]); };
    pc.onconnectionstatechange = function () {
      if (pc.connectionState === "failed" || pc.connectionState === "disconnected") {
        self.fail(kuzetT("WebRTC connection lost (%(state)s)", { state: pc.connectionState }));
      }
    };
    pc.createOffer().then(function (offer) { return pc.setLocalDescription(offer); }).then(function () {
      // No trickle: the offer goes with every candidate gathered (or what two seconds gave).
      return new Promise(function (resolve) {
        if (pc.iceGatheringState === "complete") { resolve(); return; }
        var done = setTimeout(resolve, 2000);
        pc.addEventListener("icegatheringstatechange", function () {
          if (pc.iceGatheringState === "complete") { clearTimeout(done); resolve(); }
        });
      });
    }).then(function () {
      return fetch("/video/" + self.camera + "/whep" + self.query(), {
        method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp,
        credentials: "same-origin" });
    }).then(function (answer) {
      return answer.text().then(function (text) {
        if (answer.status !== 201) { throw new Error(reasonOf(text, "HTTP " + answer.status)); }
        self.resource = answer.headers.get("Location");
        self.view = answer.headers.get("X-Kuzet-View");
        return pc.setRemoteDescription({ type: "answer", sdp: text });
      });
    }).then(function () {
      self.video.play().catch(function () { /* plays when the track arrives */ });
    }).catch(function (err) { if (self.pc === pc) { self.fail(String(err.message || err)); } });
  };

  Player.prototype.teardown = function () {
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    if (this.pc) {
      var pc = this.pc;
      this.pc = null;
      pc.close();
      if (this.resource) { fetch(this.resource, { method: "DELETE", credentials: "same-origin", keepalive: true }); }
      this.resource = null;
      this.view = null;  // the DELETE ends the view
    }
    if (this.view) {
      // The view ends now on record; without this it ends a minute after its last request.
      navigator.sendBeacon("/video/" + this.camera + "/views/" + this.view + "/end");
      this.view = null;
    }
    this.video.removeAttribute("src");
    this.video.srcObject = null;
    this.latency = null;
    this.recovered = false;
  };

  Player.prototype.pause = function () {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.state === "idle" || this.state === "paused") { return; }
    this.teardown();
    this.state = "paused";
    this.show();
  };

  Player.prototype.destroy = function () { this.pause(); this.video.remove(); this.status.remove(); };

  // On screen as the browser has said (a pane starts only once it has: its first layout may not be its place),
  // the tab visible, the pane not folded away.
  Player.prototype.wanted = function () {
    return !document.hidden && this.onScreen === true && this.pane.isConnected && !this.pane.closest("[hidden]");
  };

  // Once a second: progress (a stall is retried), distance behind live, and whether the pane should play at all.
  Player.prototype.tick = function () {
    if (!this.pane.isConnected) { return; }  // redrawn away: the next scan moves the player or ends it
    if (!this.wanted()) {
      // Paused (and its view ended) only when off screen for a moment, not on every flicker of a scroll or redraw.
      this.unwantedSince = this.unwantedSince || Date.now();
      if (Date.now() - this.unwantedSince >= PAUSE_AFTER_MS || this.state === "idle") { this.pause(); }
      return;
    }
    this.unwantedSince = null;
    if (this.state === "idle" || this.state === "paused") { this.start(); return; }
    if (this.state !== "starting" && this.state !== "playing") { return; }
    this.progressed();
    // A stream that has not shown its first picture yet gets longer: an operator's encoder may be starting.
    var patience = this.state === "starting" ? START_MS : STALL_MS;
    if (Date.now() - this.lastProgress > patience) {
      this.fail(this.state === "starting" ? kuzetT("no picture within %(s)s s", { s: Math.round(START_MS / 1000) })
                : kuzetT("the stream stalled for %(s)s s", { s: Math.round(STALL_MS / 1000) }));
      return;
    }
    if (this.pc && this.state === "playing") { this.webrtcLatency(); }
  };

  Player.prototype.webrtcLatency = function () {
    var self = this;
    this.pc.getStats().then(function (stats) {
      stats.forEach(function (s) {
        if (s.type === "inbound-rtp" && s.kind === "video" && s.jitterBufferEmittedCount) {
          self.latency = s.jitterBufferDelay / s.jitterBufferEmittedCount;
          self.framesDecoded = s.framesDecoded;
        }
      });
      self.show();
    });
  };

  Player.prototype.describe = function () {
    return { camera: this.camera, protocol: this.protocol, state: this.state, reason: this.reason,
             readyState: this.video.readyState, currentTime: this.video.currentTime, latency: this.latency,
             view: this.view, framesDecoded: this.framesDecoded || 0, pane: this.pane.id };
  };

  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var player = players.get(entry.target);
      if (player) { player.onScreen = entry.isIntersecting; player.tick(); }
    });
  }, { threshold: 0.25 });

  function identity(pane) {
    return [pane.getAttribute("data-camera"), pane.getAttribute("data-kuzet-video"),
            pane.getAttribute("data-incident") || "", pane.id].join("|");
  }

  function scan() {
    // A redraw of the page (a push re-renders the case file) replaces a pane with an equal one: the player
    // moves into the new pane and plays on, instead of ending its view and starting another.
    var orphans = new Map();
    players.forEach(function (player, pane) {
      if (!pane.isConnected) { seen.unobserve(pane); players.delete(pane); orphans.set(identity(pane), player); }
    });
    document.querySelectorAll("[data-kuzet-video]").forEach(function (pane) {
      if (!players.has(pane) && orphans.has(identity(pane))) {
        var moved = orphans.get(identity(pane));
        orphans.delete(identity(pane));
        moved.pane = pane;
        pane.appendChild(moved.video);
        pane.appendChild(moved.status);
        players.set(pane, moved);
        seen.observe(pane);
        moved.show();
      }
    });
    orphans.forEach(function (player) { player.destroy(); });
    document.querySelectorAll("[data-kuzet-video]").forEach(function (pane) {
      var player = players.get(pane);
      if (player && (player.camera !== pane.getAttribute("data-camera")
                     || player.protocol !== pane.getAttribute("data-kuzet-video"))) {
        player.destroy();  // the same pane now shows another camera (the wall's tile)
        seen.unobserve(pane);
        players.delete(pane);
        player = null;
      }
      if (!player && pane.getAttribute("data-camera")) {
        player = new Player(pane);
        players.set(pane, player);
        seen.observe(pane);
      }
    });
  }

  function checkEvidence() {
    document.querySelectorAll(".evidence-hash[data-check]:not([data-done])").forEach(function (badge) {
      badge.setAttribute("data-done", "1");
      fetch(badge.getAttribute("data-check"), { credentials: "same-origin" }).then(function (answer) {
        return answer.json().then(function (doc) { return { ok: answer.ok, doc: doc }; });
      }).then(function (r) {
        var v = r.ok ? r.doc.verdict : "error";
        var text = { match: " ✓ " + kuzetT("sha256 matches"),
                     mismatch: " ✗ " + kuzetT("sha256 does NOT match (recorded in the journal)"),
                     undeclared: " " + kuzetT("no sha256 declared") }[v]
          || " " + kuzetT("not checked: %(why)s", { why: r.doc.detail || "" });
        badge.textContent = text;
        badge.className = "evidence-hash verdict-" + v;
        var item = badge.closest(".evidence");
        if (item) { item.classList.add("evidence-" + v); }
      }).catch(function () { badge.textContent = " " + kuzetT("not checked"); });
    });
  }

  // The wall's tile shows the camera of the incident selected in the queue.
  function followSelection() {
    var tile = document.getElementById("wall-video");
    if (!tile || tile.hidden) { return; }
    var api = null;
    try { api = window.dash_ag_grid && window.dash_ag_grid.getApi("wall-queue"); } catch (e) { api = null; }
    var row = api ? api.getSelectedRows()[0] : null;
    var camera = row && row.camera_id && row.video ? String(row.camera_id) : "";
    if (camera === (tile.getAttribute("data-camera") || "")) { return; }
    tile.setAttribute("data-camera", camera);
    tile.setAttribute("data-incident", row ? String(row.id) : "");
    if (camera) { tile.setAttribute("data-kuzet-video", row.video); } else { tile.removeAttribute("data-kuzet-video"); }
    var label = tile.querySelector(".video-label");
    if (label) {
      label.textContent = camera ? "№" + row.id + " · " + row.camera + " · " + (row.address || "")
        : (row ? "№" + row.id + ": " + kuzetT("the call has no camera with video") : kuzetT("Select an incident in the queue"));
    }
    scan();
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key;
    if (key === "v" || key === "V" || key === "м" || key === "М") {
      var tile = document.getElementById("wall-video");
      if (!tile) { return; }
      tile.hidden = !tile.hidden;
      followSelection();
      players.forEach(function (p) { p.tick(); });
    } else if (key === "g" || key === "G" || key === "п" || key === "П") {
      var open = document.getElementById("incident-nearby-open");
      if (open) { open.click(); }
    }
  });

  document.addEventListener("click", function (event) {
    var open = event.target && event.target.closest && event.target.closest("#incident-nearby-open");
    if (!open) { return; }
    var grid = document.getElementById("incident-nearby-grid");
    if (!grid) { return; }
    grid.hidden = !grid.hidden;
    open.setAttribute("aria-expanded", grid.hidden ? "false" : "true");
    players.forEach(function (p) { p.tick(); });
  });

  document.addEventListener("visibilitychange", function () { players.forEach(function (p) { p.tick(); }); });
  window.addEventListener("pagehide", function () { players.forEach(function (p) { p.pause(); }); });

  // Dash redraws often (a busy wall many times a second): look for panes at most four times a second.
  var scanning = null;
  new MutationObserver(function () {
    if (scanning) { return; }
    scanning = setTimeout(function () { scanning = null; scan(); checkEvidence(); }, 250);
  }).observe(document.documentElement, { childList: true, subtree: true });
  setInterval(function () { followSelection(); players.forEach(function (p) { p.tick(); }); }, 1000);

  window.kuzetVideo = { players: function () { return Array.from(players.values()).map(function (p) { return p.describe(); }); } };
})();
