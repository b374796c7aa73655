// Street and place names over every Kuzet map (.kuzet-map[data-basemap]). MapLibre draws text only
// with a glyph server and these maps fetch nothing from outside, so the names are HTML laid over the
// canvas, placed and turned along the street at each move, and only when zoomed in far enough to read.
(function () {
  "use strict";

  var AVENUE_ZOOM = 12.8, STREET_ZOOM = 14.2, PLACE_ZOOM = 15.2;
  var MAX_LABELS = 70, MIN_GAP_PX = 150;
  var cache = {};  // city -> {labels: Promise, places: Promise}

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  function data(city, key) {
    cache[city] = cache[city] || {};
    if (!cache[city][key]) { cache[city][key] = fetchJson("/basemap/" + encodeURIComponent(city) + "/" + key + ".json"); }
    return cache[city][key];
  }

  function draw(box, map, labels, places) {
    var layer = box.querySelector(".street-labels");
    if (!layer) {
      layer = document.createElement("div");
      layer.className = "street-labels";
      layer.setAttribute("data-i18n", "data");  // the city's street and place names, as the map names them
      box.appendChild(layer);
    }
    layer.textContent = "";
    var zoom = map.getZoom();
    if (zoom < AVENUE_ZOOM) { return; }
    var canvas = map.getCanvas();
    var width = canvas.clientWidth, height = canvas.clientHeight;
    var placed = [];
    function free(x, y) {
      for (var i = 0; i < placed.length; i++) {
        var dx = placed[i][0] - x, dy = placed[i][1] - y;
        if (dx * dx + dy * dy < MIN_GAP_PX * MIN_GAP_PX) { return false; }
      }
      return true;
    }
    function add(text, x, y, angle, className) {
      var span = document.createElement("span");
      span.className = className;
      span.textContent = text;
      span.style.transform = "translate(" + x + "px," + y + "px) translate(-50%,-50%) rotate(" + angle + "deg)";
      layer.appendChild(span);
      placed.push([x, y]);
    }
    (labels || []).forEach(function (label) {
      if (placed.length >= MAX_LABELS || (label.c > 1 && zoom < STREET_ZOOM)) { return; }
      var a = map.project(label.a), b = map.project(label.b);
      var x = (a.x + b.x) / 2, y = (a.y + b.y) / 2;
      if (x < 40 || y < 20 || x > width - 40 || y > height - 20 || !free(x, y)) { return; }
      var angle = Math.atan2(b.y - a.y, b.x - a.x) * 180 / Math.PI;
      if (angle > 90) { angle -= 180; } else if (angle < -90) { angle += 180; }  // never upside down
      add(label.n, x, y, angle, "street-label street-c" + label.c);
    });
    if (zoom >= PLACE_ZOOM && places) {
      places.features.forEach(function (f) {
        if (placed.length >= MAX_LABELS) { return; }
        var p = map.project(f.geometry.coordinates);
        if (p.x < 40 || p.y < 20 || p.x > width - 40 || p.y > height - 20 || !free(p.x, p.y + 12)) { return; }
        add(f.properties.n, p.x, p.y + 12, 0, "place-label");
      });
    }
  }

  function attach(box) {
    var gd = box.querySelector(".js-plotly-plot");  // a Plotly map, or the wall's own MapLibre (box.kuzetMap)
    var subplot = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    var map = box.kuzetMap || (subplot && subplot.map);
    if (!map || box.__kuzetLabels === map) { return; }
    box.__kuzetLabels = map;  // once per map instance (a page may replace its figure's map)
    var city = box.getAttribute("data-basemap");
    var labels = null, places = null, pending = false;
    function redraw() {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; draw(box, map, labels, places); });
    }
    data(city, "labels").then(function (list) { labels = list; redraw(); });
    map.on("move", redraw);
    map.on("resize", redraw);
    map.on("zoomend", function () {
      if (!places && map.getZoom() >= PLACE_ZOOM) { data(city, "places").then(function (p) { places = p; redraw(); }); }
    });
  }

  setInterval(function () {
    document.querySelectorAll(".kuzet-map[data-basemap]").forEach(function (box) {
      if (box.getAttribute("data-basemap")) { attach(box); }
    });
  }, 700);
})();
