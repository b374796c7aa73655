// The wall's map markers, drawn by MapLibre itself rather than through the Plotly figure, so that
// 50,000 cameras and thousands of incidents render once and every push patches only what changed
// (the figure is never re-sent, and the view never moves under the officer's hand).
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

  function section() { return document.querySelector(".wall #wall-map") && document.querySelector(".wall .wall-map"); }

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
                      properties: { id: r.id, p: r.priority, s: r.status, t: r.type_label || "", a: r.address || "" } });
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

  function addLayers(map, s, camerasUrl, units) {
    var scale = s;
    var ratio = window.devicePixelRatio || 1;
    Object.keys(UNIT).forEach(function (status) {
      if (!map.hasImage("kz-unit-" + status)) { map.addImage("kz-unit-" + status, unitIcon(UNIT[status], ratio), { pixelRatio: ratio }); }
    });
    map.addSource("kz-cameras", { type: "geojson", data: camerasUrl, cluster: true, clusterRadius: 38,
                                  clusterMaxZoom: CAMERA_CLUSTER_MAX_ZOOM,
                                  clusterProperties: { off: ["+", ["case", ["==", ["get", "h"], 2], 1, 0]] } });
    map.addSource("kz-units", { type: "geojson", data: unitFeatures(units) });
    // Incidents of one camera share a point exactly: clustered at every zoom, they always show as one marker
    // with a count; the cluster takes the colour of its most urgent incident.
    map.addSource("kz-incidents", { type: "geojson", data: incidentFeatures(), cluster: true, clusterRadius: 22,
                                    maxzoom: 24, clusterMaxZoom: 23,
                                    clusterProperties: { p: ["min", ["get", "p"]] } });
    map.addSource("kz-selected", { type: "geojson", data: empty() });
    var priorityColour = ["match", ["get", "p"], 1, PRIORITY[1], 2, PRIORITY[2], 3, PRIORITY[3], PRIORITY[4]];
    map.addLayer({ id: "kz-camera-clusters", type: "circle", source: "kz-cameras", filter: ["has", "point_count"],
                   paint: { "circle-color": "#3a4a66", "circle-opacity": 0.75,
                            "circle-radius": ["step", ["get", "point_count"], 9 * scale, 50, 12 * scale, 500, 16 * scale,
                                              5000, 21 * scale],
                            "circle-stroke-color": ["case", [">", ["get", "off"], 0], HEALTH[1], "#5d7194"],
                            "circle-stroke-width": 1.5 * scale } });
    map.addLayer({ id: "kz-cameras", type: "circle", source: "kz-cameras", filter: ["!", ["has", "point_count"]],
                   paint: { "circle-color": ["match", ["get", "h"], 0, HEALTH[0], 1, HEALTH[1], 2, HEALTH[2], HEALTH[3]],
                            "circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 2.5 * scale, 17, 5 * scale],
                            "circle-opacity": 0.85 } });
    map.addLayer({ id: "kz-units", type: "symbol", source: "kz-units",
                   layout: { "icon-image": ["concat", "kz-unit-", ["get", "s"]], "icon-allow-overlap": true,
                             "icon-ignore-placement": true, "icon-size": 0.8 * scale } });
    map.addLayer({ id: "kz-selected", type: "circle", source: "kz-selected",
                   paint: { "circle-radius": 17 * scale, "circle-color": "rgba(0,0,0,0)",
                            "circle-stroke-color": "#ffffff", "circle-stroke-width": 3 * scale } });
    map.addLayer({ id: "kz-incident-clusters", type: "circle", source: "kz-incidents", filter: ["has", "point_count"],
                   paint: { "circle-color": priorityColour, "circle-stroke-color": "#0b0f17", "circle-stroke-width": 2 * scale,
                            "circle-radius": ["step", ["get", "point_count"], 13 * scale, 10, 16 * scale, 50, 20 * scale] } });
    map.addLayer({ id: "kz-incidents", type: "circle", source: "kz-incidents", filter: ["!", ["has", "point_count"]],
                   paint: { "circle-color": priorityColour, "circle-stroke-color": "#0b0f17", "circle-stroke-width": 2 * scale,
                            "circle-radius": ["case", ["==", ["get", "p"], 1], 11 * scale, 8.5 * scale] } });
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
      return "№" + p.id + " P" + p.p + " " + p.t + " · " + (STATUS_TEXT[p.s] || p.s) + (p.a ? "\n" + p.a : "");
    }
    if (f.layer.id === "kz-incident-clusters") { return p.point_count + " происшествий здесь · щелчок: самое срочное"; }
    if (f.layer.id === "kz-cameras") {
      var seen = p.t ? new Date(p.t * 1000).toISOString() : null;  // the cameras page's own "2 мин назад"
      return p.e + " · " + HEALTH_TEXT[p.h] + " · " + window.dashAgGridFunctions.kuzetAgo({ value: seen });
    }
    if (f.layer.id === "kz-camera-clusters") { return p.point_count + " камер" + (p.off ? ", офлайн " + p.off : ""); }
    return p.c + " · " + (UNIT_TEXT[p.s] || p.s);
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

  function attach() {
    var box = section();
    var gd = box && box.querySelector(".js-plotly-plot");
    var subplot = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    var map = subplot && subplot.map;
    var api = gridApi();
    if (!map || !api || !map.isStyleLoaded() || (state && state.map === map && map.getSource("kz-incidents"))) { return; }
    var palette = JSON.parse(box.getAttribute("data-palette") || "{}");
    PRIORITY = palette.priority || {}; UNIT = palette.unit || {}; HEALTH = palette.health || []; STATUS_TEXT = palette.status || {};
    HEALTH_TEXT = palette.health_text || []; UNIT_TEXT = palette.unit_text || {};
    var units = {};
    JSON.parse(box.getAttribute("data-units") || "[]").forEach(function (u) { units[u.id] = u; });
    var scale = Math.max(1, window.innerWidth / 1920);  // a 4K wall draws markers twice as large, not as specks
    addLayers(map, scale, box.getAttribute("data-cameras-url"), units);
    var counts = document.createElement("div"), tip = document.createElement("div");
    counts.className = "cluster-counts"; tip.className = "map-tip";
    box.appendChild(counts); box.appendChild(tip);
    state = { map: map, units: units, counts: counts, tip: tip, scale: scale, spans: {} };
    wire(state);
    var queued = false;
    api.addEventListener("modelUpdated", function () {
      if (queued) { return; }
      queued = true;
      window.requestAnimationFrame(function () { queued = false; refreshIncidents(); refreshSelected(); });
    });
    api.addEventListener("selectionChanged", refreshSelected);
    box.setAttribute("data-map-ready", "1");
  }
  setInterval(attach, 400);

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
      if (state) { state.map.getSource("kz-cameras").setData(section().getAttribute("data-cameras-url")); }
      return window.dash_clientside.no_update;
    },
    state: function () { return state; }
  };
})();
