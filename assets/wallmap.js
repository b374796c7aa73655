// The wall's map, drawn by MapLibre itself rather than through a Plotly figure, so that the wall loads
// no Plotly bundle, 50,000 cameras and thousands of incidents render once, and every push patches only
// what changed (nothing is re-sent, and the view never moves under the officer's hand).
//
// - cameras: fetched as GeoJSON from /map/cameras.json, aggregated at low zoom, one by one when zoomed in;
// - incidents: the rows the queue shows (its filters apply), clustered where they share a place, with counts;
// - units: squares (never mistaken for an incident's circle), from the page and the units pushes.
// Counts are HTML over the canvas (MapLibre draws text only with a glyph server, and the wall fetches nothing).
(function () {
  "use strict";

  // Colours and status words come from the page (data-palette, the legend's own), read when the map attaches.
  var PRIORITY = {}, UNIT = {}, HEALTH = [], STATUS_TEXT = {}, HEALTH_TEXT = [], UNIT_TEXT = {};
  var CAMERA_CLUSTER_MAX_ZOOM = 13;  // from zoom 14 every camera stands alone

  var state = null;  // the one wall map of this page: {map, section, units, scale}

  function section() { return document.querySelector(".wall .wall-map"); }

  function gridApi() {
    try { return window.dash_ag_grid && window.dash_ag_grid.getApi("wall-queue"); } catch (e) { return null; }
  }

  function empty() { return { type: "FeatureCollection", features: [] }; }

  function incidentFeatures() {
    var api = gridApi();
    var features = [];
    if (!api) { return empty(); }
    api.forEachNodeAfterFilter(function (node) {
      var r = node.data;
      if (!r || r.lat === null || r.lon === null || r.lat === undefined) { return; }
      features.push({ type: "Feature", geometry: { type: "Point", coordinates: [r.lon, r.lat] },
                      properties: { id: r.id, p: r.priority, s: r.status, t: r.type ? window.kuzetTerm("type", r.type)
                                                                              : r.type_label || "", a: r.address || "" } });
    });
    return { type: "FeatureCollection", features: features };
  }

  function unitFeatures(units) {
    return { type: "FeatureCollection", features: Object.keys(units).map(function (id) {
      var u = units[id];
      return { type: "Feature", geometry: { type: "Point", coordinates: [u.lon, u.lat] },
               properties: { id: u.id, c: u.call_sign, s: u.status } };
    }).filter(function (f) { return f.geometry.coordinates[0] !== null && f.geometry.coordinates[1] !== null; }) };
  }

  // A unit's square icon, drawn once per status (MapLibre takes raw pixels; no sprite server).
  function unitIcon(colour, pixelRatio) {
    var size = Math.round(22 * pixelRatio), canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    var c = canvas.getContext("2d"), inset = 2 * pixelRatio;
    c.fillStyle = "#0b0f17"; c.fillRect(0, 0, size, size);
    c.fillStyle = "#ffffff"; c.fillRect(inset / 2, inset / 2, size - inset, size - inset);
    c.fillStyle = colour; c.fillRect(inset * 1.5, inset * 1.5, size - inset * 3, size - inset * 3);
    return c.getImageData(0, 0, size, size);
  }

  // The markers' sources and layers, written into the style the map is built with: MapLibre then fetches the
  // cameras beside the streets from the first frame, instead of after the style's own sources have loaded.
  function withMarkers(style, scale, cameras, units) {
    var streets = style.sources;
    style.sources = {};  // the markers' sources first: MapLibre's worker loads them in this order
    function addSource(id, source) { style.sources[id] = source; }
    function addLayer(layer) { style.layers.push(layer); }
    addSource("kz-cameras", { type: "geojson", data: cameras, cluster: true, clusterRadius: 38,
                              clusterMaxZoom: CAMERA_CLUSTER_MAX_ZOOM,
                              clusterProperties: { off: ["+", ["case", ["==", ["get", "h"], 2], 1, 0]] } });
    addSource("kz-units", { type: "geojson", data: unitFeatures(units) });
    // Incidents of one camera share a point exactly: clustered at every zoom, they always show as one marker
    // with a count; the cluster takes the colour of its most urgent incident.
    addSource("kz-incidents", { type: "geojson", data: incidentFeatures(), cluster: true, clusterRadius: 22,
                                maxzoom: 24, clusterMaxZoom: 23,
                                clusterProperties: { p: ["min", ["get", "p"]] } });
    addSource("kz-selected", { type: "geojson", data: empty() });
    var priorityColour = ["match", ["get", "p"], 1, PRIORITY[1], 2, PRIORITY[2], 3, PRIORITY[3], PRIORITY[4]];
    addLayer({ id: "kz-camera-clusters", type: "circle", source: "kz-cameras", filter: ["has", "point_count"],
               paint: { "circle-color": "#3a4a66", "circle-opacity": 0.75,
                        "circle-radius": ["step", ["get", "point_count"], 9 * scale, 50, 12 * scale, 500, 16 * scale,
                                          5000, 21 * scale],
                        "circle-stroke-color": ["case", [">", ["get", "off"], 0], HEALTH[1], "#5d7194"],
                        "circle-stroke-width": 1.5 * scale } });
    addLayer({ id: "kz-cameras", type: "circle", source: "kz-cameras", filter: ["!", ["has", "point_count"]],
               paint: { "circle-color": ["match", ["get", "h"], 0, HEALTH[0], 1, HEALTH[1], 2, HEALTH[2], HEALTH[3]],
                        "circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 2.5 * scale, 17, 5 * scale],
                        "circle-opacity": 0.85 } });
    addLayer({ id: "kz-units", type: "symbol", source: "kz-units",
               layout: { "icon-image": ["concat", "kz-unit-", ["get", "s"]], "icon-allow-overlap": true,
                         "icon-ignore-placement": true, "icon-size": 0.8 * scale } });
    addLayer({ id: "kz-selected", type: "circle", source: "kz-selected",
               paint: { "circle-radius": 17 * scale, "circle-color": "rgba(0,0,0,0)",
                        "circle-stroke-color": "#ffffff", "circle-stroke-width": 3 * scale } });
    addLayer({ id: "kz-incident-clusters", type: "circle", source: "kz-incidents", filter: ["has", "point_count"],
               paint: { "circle-color": priorityColour, "circle-stroke-color": "#0b0f17", "circle-stroke-width": 2 * scale,
                        "circle-radius": ["step", ["get", "point_count"], 13 * scale, 10, 16 * scale, 50, 20 * scale] } });
    addLayer({ id: "kz-incidents", type: "circle", source: "kz-incidents", filter: ["!", ["has", "point_count"]],
               paint: { "circle-color": priorityColour, "circle-stroke-color": "#0b0f17", "circle-stroke-width": 2 * scale,
                        "circle-radius": ["case", ["==", ["get", "p"], 1], 11 * scale, 8.5 * scale] } });
    Object.keys(streets).forEach(function (id) { style.sources[id] = streets[id]; });
    return style;
  }

  // Incident cluster counts as HTML over the canvas, at the clusters MapLibre drew; spans are kept and moved,
  // not rebuilt, so a pan or a push costs a few style writes. (Camera clusters say their count by size and hover.)
  function drawCounts(st) {
    var layer = st.counts, spans = st.spans, seen = {};
    st.map.queryRenderedFeatures({ layers: ["kz-incident-clusters"] }).forEach(function (f) {
      var key = String(f.properties.cluster_id);
      if (seen[key]) { return; }
      seen[key] = true;
      var span = spans[key];
      if (!span) {
        span = spans[key] = document.createElement("span");
        span.className = "cluster-count incident-count";
        layer.appendChild(span);
      }
      var text = String(f.properties.point_count_abbreviated);
      if (span.textContent !== text) { span.textContent = text; }
      var p = st.map.project(f.geometry.coordinates);
      span.style.transform = "translate(" + p.x + "px," + p.y + "px) translate(-50%,-50%)";
    });
    Object.keys(spans).forEach(function (key) {
      if (!seen[key]) { spans[key].remove(); delete spans[key]; }
    });
  }

  function tipText(f) {
    var p = f.properties;
    if (f.layer.id === "kz-incidents") {
      return "№" + p.id + " P" + p.p + " " + p.t + " · " + (STATUS_TEXT[p.s] || window.kuzetTerm("status", p.s))
        + (p.a ? "\n" + p.a : "");
    }
    if (f.layer.id === "kz-incident-clusters") {
      return kuzetT("%(n)s incidents here · click: the most urgent", { n: window.kuzetNumber(p.point_count) });
    }
    if (f.layer.id === "kz-cameras") {
      var seen = p.t ? new Date(p.t * 1000).toISOString() : null;  // the cameras page's own "2 min ago"
      return p.e + " · " + (HEALTH_TEXT[p.h] || window.kuzetTerm("health", "unknown")) + " · "
        + window.dashAgGridFunctions.kuzetAgo({ value: seen });
    }
    if (f.layer.id === "kz-camera-clusters") {
      return p.off ? kuzetT("%(n)s cameras, %(off)s offline", { n: window.kuzetNumber(p.point_count),
                                                               off: window.kuzetNumber(p.off) })
        : kuzetT("%(n)s cameras", { n: window.kuzetNumber(p.point_count) });
    }
    return p.c + " · " + (UNIT_TEXT[p.s] || window.kuzetTerm("unit", p.s));
  }

  function selectIncident(id) {
    var api = gridApi();
    var node = api && api.getRowNode(String(id));
    if (!node) { return; }
    node.setSelected(true, true);
    api.ensureNodeVisible(node, "middle");
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("wall-queue", { selectedRows: api.getSelectedRows() });
    }
  }

  function mostUrgent(leaves) {
    leaves.sort(function (a, b) { return a.properties.p - b.properties.p || a.properties.id - b.properties.id; });
    return leaves[0];
  }

  function wire(st) {
    var map = st.map, tip = st.tip;
    var hoverable = ["kz-incidents", "kz-incident-clusters", "kz-units", "kz-cameras", "kz-camera-clusters"];
    map.on("mousemove", function (e) {
      var f = map.queryRenderedFeatures(e.point, { layers: hoverable })[0];
      map.getCanvas().style.cursor = f ? "pointer" : "";
      if (!f) { tip.style.display = "none"; return; }
      tip.textContent = tipText(f);
      tip.style.display = "block";
      tip.style.transform = "translate(" + (e.point.x + 14) + "px," + (e.point.y + 14) + "px)";
    });
    map.on("mouseout", function () { tip.style.display = "none"; });
    map.on("click", function (e) {
      if (e.originalEvent && e.originalEvent.shiftKey) { return; }  // Shift+click is the 102 gesture (wall.js)
      if (document.querySelector(".wall.call-mode")) { return; }
      var f = map.queryRenderedFeatures(e.point, { layers: ["kz-incidents", "kz-incident-clusters", "kz-camera-clusters"] })[0];
      if (!f) { return; }
      if (f.layer.id === "kz-incidents") { selectIncident(f.properties.id); return; }
      var source = map.getSource(f.layer.id === "kz-camera-clusters" ? "kz-cameras" : "kz-incidents");
      var id = f.properties.cluster_id, centre = f.geometry.coordinates;
      source.getClusterExpansionZoom(id).then(function (zoom) {
        if (f.layer.id === "kz-incident-clusters" && (zoom > 20 || zoom <= map.getZoom())) {
          // Incidents at one place: no zoom separates them, so the queue takes the most urgent.
          return source.getClusterLeaves(id, 500, 0).then(function (leaves) { selectIncident(mostUrgent(leaves).properties.id); });
        }
        map.easeTo({ center: centre, zoom: Math.min(zoom, 18) });
      }).catch(function () { /* the cluster changed under the click */ });
    });
    var pending = false;
    function later() {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; drawCounts(st); });
    }
    map.on("render", later);
  }

  function refreshIncidents() {
    if (!state) { return; }
    var source = state.map.getSource("kz-incidents");
    if (source) { source.setData(incidentFeatures()); }
  }

  function refreshSelected() {
    if (!state) { return; }
    var api = gridApi(), row = api && api.getSelectedRows()[0];
    var source = state.map.getSource("kz-selected");
    if (!source) { return; }
    source.setData(row && row.lat !== null ? { type: "FeatureCollection", features: [
      { type: "Feature", geometry: { type: "Point", coordinates: [row.lon, row.lat] }, properties: {} }] } : empty());
  }

  // MapLibre itself, from Kuzet's own assets (tools/npm_assets.py): loaded only by the wall, never from a CDN.
  var ENGINE = "/assets/vendor/maplibre-gl/maplibre-gl";
  var engine = null;
  function loadEngine() {
    if (engine) { return engine; }
    var css = document.createElement("link");
    css.rel = "stylesheet"; css.href = ENGINE + ".css";
    document.head.appendChild(css);
    engine = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = ENGINE + ".js";
      script.onload = function () { resolve(window.maplibregl); };
      script.onerror = function () { engine = null; reject(new Error("map engine not loaded")); };
      document.head.appendChild(script);
    });
    return engine;
  }
  // On the wall the engine and the cameras are fetched at once, beside Dash's own boot, not after it: the cameras
  // of ?department= (the user's own without it) are then in the browser's cache when the map's worker asks for them
  // (a 304), and in the server's (CameraAnswers) if not.
  var early = null;
  if (/^\/wall\/?$/.test(window.location.pathname)) {
    loadEngine();
    var asked = new URLSearchParams(window.location.search).get("department");
    var earlyUrl = new URL("/map/cameras.json" + (asked ? "?department=" + encodeURIComponent(asked) : ""),
                           window.location.href).href;
    early = fetch(earlyUrl, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { return null; }
      var department = r.headers.get("Kuzet-Department");
      return r.arrayBuffer().then(function () { return { department: department, url: earlyUrl }; });
    }).catch(function () { return null; });
  }

  // The URL the wall's cameras source loads: the early fetch's when it was for this wall (cached), else the page's.
  function camerasData(url) {
    var wanted = new URL(url).searchParams.get("department");
    return (early || Promise.resolve(null)).then(function (got) {
      early = null;  // used once: later refreshes ask the server
      return got && got.department === wanted ? got.url : url;
    });
  }

  // Style sources are written relative (/basemap/...); MapLibre's workers need whole URLs.
  function absolute(style) {
    Object.keys(style.sources).forEach(function (key) {
      var data = style.sources[key].data;
      if (typeof data === "string") { style.sources[key].data = new URL(data, window.location.href).href; }
    });
    return style;
  }

  // A 102 call at a point takes a deliberate gesture: Shift+click, or a click after "102 on the map".
  // A plain click (to focus the page, or a stray one) opens nothing.
  function callHere(e) {
    var wall = document.querySelector(".wall");
    if (!wall || wall.dataset.canCall !== "1") { return; }  // a role that may not create 102 calls
    var shift = e.originalEvent && e.originalEvent.shiftKey;
    if (!shift && !wall.classList.contains("call-mode")) { return; }
    wall.classList.remove("call-mode");
    window.dash_clientside.set_props("wall-manual-point", { data: { lat: e.lngLat.lat, lon: e.lngLat.lng, at: Date.now() } });
  }

  var building = null;  // the canvas element a map is being built in
  function attach() {
    var box = section(), canvas = box && box.querySelector(".wall-canvas");
    if (!canvas || building === canvas || (state && state.canvas === canvas)) { return; }
    building = canvas;
    loadEngine().then(function (maplibregl) { build(maplibregl, box, canvas); }).catch(function () { building = null; });
  }

  function build(maplibregl, box, canvas) {
    var palette = JSON.parse(box.getAttribute("data-palette") || "{}");
    PRIORITY = palette.priority || {}; UNIT = palette.unit || {}; HEALTH = palette.health || []; STATUS_TEXT = palette.status || {};
    HEALTH_TEXT = palette.health_text || []; UNIT_TEXT = palette.unit_text || {};
    var units = {};
    JSON.parse(box.getAttribute("data-units") || "[]").forEach(function (u) { units[u.id] = u; });
    var scale = Math.max(1, window.innerWidth / 1920);  // a 4K wall draws markers twice as large, not as specks
    var camerasUrl = new URL(box.getAttribute("data-cameras-url"), window.location.href).href;
    var style = withMarkers(absolute(JSON.parse(canvas.getAttribute("data-style"))), scale, empty(), units);
    var b = JSON.parse(box.getAttribute("data-bounds") || "null");
    // Fitted to the jurisdiction at the map's real size (any screen, 1080p to 4K).
    var map = new maplibregl.Map({ container: canvas, style: style, attributionControl: false,
                                   center: [76.92, 43.25], zoom: 10,  // Almaty, until the jurisdiction's bounds fit
                                   bounds: b ? [[b[0], b[1]], [b[2], b[3]]] : undefined, fitBoundsOptions: { padding: 40 },
                                   dragRotate: false, pitchWithRotate: false, touchPitch: false, fadeDuration: 0,
                                   boxZoom: false,  // Shift+click is the 102 gesture, not a box zoom
                                   locale: { "Map.Title": kuzetT("Map"),  // the canvas's aria-label, and MapLibre's own controls
                                             "AttributionControl.ToggleAttribution": kuzetT("Toggle attribution"),
                                             "AttributionControl.MapFeedback": kuzetT("Map feedback"),
                                             "NavigationControl.ResetBearing": kuzetT("Reset bearing to north"),
                                             "NavigationControl.ZoomIn": kuzetT("Zoom in"),
                                             "NavigationControl.ZoomOut": kuzetT("Zoom out") } });
    map.touchZoomRotate.disableRotation();
    var ratio = window.devicePixelRatio || 1;
    map.on("styleimagemissing", function (e) {  // the units' square icons, drawn here (no sprite server)
      var status = e.id.indexOf("kz-unit-") === 0 && e.id.slice(8);
      if (status && UNIT[status] && !map.hasImage(e.id)) { map.addImage(e.id, unitIcon(UNIT[status], ratio), { pixelRatio: ratio }); }
    });
    box.kuzetMap = map;  // basemap.js lays the street names over it
    var counts = document.createElement("div"), tip = document.createElement("div");
    counts.className = "cluster-counts"; tip.className = "map-tip";
    box.appendChild(counts); box.appendChild(tip);
    state = { map: map, canvas: canvas, units: units, counts: counts, tip: tip, scale: scale, spans: {}, grid: null };
    wire(state);
    map.on("click", callHere);
    map.on("load", function () { box.setAttribute("data-map-ready", "1"); });
    camerasData(camerasUrl).then(function (data) {
      function give() {
        var source = map.getSource("kz-cameras");
        if (!source) { map.once("styledata", give); return; }
        source.setData(data);
      }
      give();
    });
  }

  // The queue drives the incident markers: its rows after its filters, and its selection.
  function follow() {
    var api = gridApi();
    if (!state || !api || state.grid === api) { return; }
    state.grid = api;
    var queued = false;
    api.addEventListener("modelUpdated", function () {
      if (queued) { return; }
      queued = true;
      window.requestAnimationFrame(function () { queued = false; refreshIncidents(); refreshSelected(); });
    });
    api.addEventListener("selectionChanged", refreshSelected);
    refreshIncidents();
  }
  setInterval(function () { attach(); follow(); }, 100);


  window.kuzetWallMap = {
    // A units push: {units: [...]}; a unit of another wall's department leaves this one.
    units: function (msg) {
      if (!state || !msg || !msg.units) { return window.dash_clientside.no_update; }
      var wall = document.querySelector(".wall[data-departments]");
      var here = JSON.parse((wall && wall.getAttribute("data-departments")) || "[]");
      msg.units.forEach(function (u) {
        if (here.indexOf(u.department_id) >= 0) { state.units[u.id] = u; } else { delete state.units[u.id]; }
      });
      state.map.getSource("kz-units").setData(unitFeatures(state.units));
      return window.dash_clientside.no_update;
    },
    // Cameras changed health: MapLibre refetches them (the server answers 304 when nothing changed).
    cameras: function () {
      if (state) { state.map.getSource("kz-cameras").setData(new URL(section().getAttribute("data-cameras-url"), window.location.href).href); }
      return window.dash_clientside.no_update;
    },
    state: function () { return state; }
  };
})();
