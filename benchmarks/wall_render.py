"""The wall at city scale in a real browser: 50,000 cameras and 2,000 open incidents on one department's wall.

`kuzet serve` on the embedded default (SQLite, in-process worker) with Almaly holding 50,000 cameras
(90 % online, 6 % stale, 4 % offline, spread over the district) and 2,000 open incidents of every type,
half of them stacked on 300 busy cameras, as a night makes them. Debian's Chromium (software WebGL, as
on a wall PC without a GPU driver) opens the wall at 1920x1080 and the figures are timed there:

- first render: from navigation to cameras and incidents drawn on the map, cold and warm;
- a pushed change, five times: a new P1 posted, its row and marker shown, 1.5 s watched in a Chrome trace;
  the main thread's script and its busy time less the compositor's commit waits, each minus the same
  wall's quiet 1.5 s just before each push (its clock, ages and timers), and the long tasks (over 50 ms);
- the raw baselines of the same run: the same 50,000 cameras and 2,000 incidents drawn by a bare MapLibre page
  (the engine the wall draws with, clustered as the wall clusters), so the ratio says what the wall adds; and by
  a bare Plotly map page (the figure inline, as the wall drew before it dropped Plotly), for comparison.
Only 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
KUZET = [sys.executable, "-m", "dashboard.cli"]
CAMERAS = 50_000
INCIDENTS = 2_000
BUSY_CAMERAS = 300
PUSHES = 5
CHROMIUM = "/usr/bin/chromium"

MAP_DRAWN = """() => {
    const st = window.kuzetWallMap && window.kuzetWallMap.state();
    if (!st || !st.map.isSourceLoaded('kz-cameras') || !st.map.isSourceLoaded('kz-incidents')) { return false; }
    const m = st.map;
    return m.queryRenderedFeatures({layers: ['kz-camera-clusters', 'kz-cameras']}).length > 0
        && m.queryRenderedFeatures({layers: ['kz-incidents', 'kz-incident-clusters']}).length > 0;
}"""

BASELINE = """<!doctype html><html><head><meta charset="utf-8">
<script src="{plotly}"></script></head><body style="margin:0;background:#0b0f17">
<div id="map" style="width:1100px;height:980px"></div>
<script>
window.drawn = false;
fetch("{cameras}").then((r) => r.json()).then((geo) => {{
  const lon = [], lat = [], colour = [];
  geo.features.forEach((f) => {{ lon.push(f.geometry.coordinates[0]); lat.push(f.geometry.coordinates[1]);
                                colour.push(["#30d158", "#ffb340", "#8e8e93", "#5e6a7d"][f.properties.h]); }});
  const incidents = {incidents};
  Plotly.newPlot("map", [
    {{type: "scattermap", lon: lon, lat: lat, mode: "markers", marker: {{size: 7, color: colour}}}},
    {{type: "scattermap", lon: incidents.lon, lat: incidents.lat, mode: "markers", marker: {{size: 16, color: "#ff453a"}}}}],
    {{map: {{style: {{version: 8, sources: {{}}, layers: [{{id: "bg", type: "background",
            paint: {{"background-color": "#0b0f17"}}}}]}}, center: {{lat: 43.255, lon: 76.92}}, zoom: 12.5}},
     margin: {{l: 0, r: 0, t: 0, b: 0}}, showlegend: false}})
    .then((gd) => {{ window.gd = gd; }});
}}).catch((e) => {{ window.failed = String(e); }});
</script></body></html>"""


RAW_MAPLIBRE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/assets/vendor/maplibre-gl/maplibre-gl.css">
<script src="/assets/vendor/maplibre-gl/maplibre-gl.js"></script></head><body style="margin:0;background:#0b0f17">
<div id="map" style="width:1100px;height:980px"></div>
<script>
const incidents = {{type: "FeatureCollection", features: {incidents}.lat.map((lat, n) => ({{type: "Feature",
    geometry: {{type: "Point", coordinates: [{incidents}.lon[n], lat]}}, properties: {{p: 1}}}}))}};
window.map = new maplibregl.Map({{container: "map", center: [76.92, 43.255], zoom: 12.5, attributionControl: false,
    style: {{version: 8, sources: {{}}, layers: [{{id: "bg", type: "background", paint: {{"background-color": "#0b0f17"}}}}]}}}});
map.on("load", () => {{
  map.addSource("c", {{type: "geojson", data: new URL("{cameras}", location.href).href, cluster: true, clusterRadius: 38,
                      clusterMaxZoom: 13}});
  map.addSource("i", {{type: "geojson", data: incidents, cluster: true, clusterRadius: 22, clusterMaxZoom: 23, maxzoom: 24}});
  map.addLayer({{id: "cc", type: "circle", source: "c", filter: ["has", "point_count"], paint: {{"circle-radius": 10}}}});
  map.addLayer({{id: "cp", type: "circle", source: "c", filter: ["!", ["has", "point_count"]], paint: {{"circle-radius": 3}}}});
  map.addLayer({{id: "ic", type: "circle", source: "i", paint: {{"circle-radius": 10, "circle-color": "#ff453a"}}}});
}});
</script></body></html>"""
RAW_MAPLIBRE_DRAWN = """() => !!window.map && map.getLayer('ic') && map.isSourceLoaded('c') && map.isSourceLoaded('i')
    && map.queryRenderedFeatures({layers: ['cc', 'cp']}).length > 0 && map.queryRenderedFeatures({layers: ['ic']}).length > 0"""


def _raw_page(context: Any, url: str, html: str, drawn: str) -> float:
    """Seconds from navigation to ``drawn`` on a bare page served at ``url`` (a cold page of the same browser)."""
    page = context.new_page()
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(drawn, timeout=180_000, polling=50)
    if failures or page.evaluate("() => window.failed || null"):
        raise RuntimeError(f"the baseline page failed: {failures or page.evaluate('() => window.failed')}")
    elapsed = time.perf_counter() - started
    page.close()
    return elapsed


def _cpu_s(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its children (the server's workers), from /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def settle(pid: int, quiet_share: float = 0.05, window_s: float = 1.0, timeout_s: float = 120) -> None:
    """Wait until the server is idle (its startup health sweep of 50,000 cameras done): "cold" means the
    browser's cache, not a server still starting."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = _cpu_s(pid)
        time.sleep(window_s)
        if _cpu_s(pid) - before < quiet_share * window_s:
            return
    raise RuntimeError("the server never went quiet")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_night(store: Any, world: Any) -> list[str]:
    """50,000 cameras over Almaly and 2,000 open incidents of every type; returns some camera ids for pushes."""
    from shapely.geometry import Point, shape

    from services.intake.catalogue import DEFAULT_PRIORITY, TYPE_LABELS_RU
    from services.store.models import Camera, District, Incident, IncidentStatus

    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    with store.session() as s:
        district = s.scalar(sa.select(District).where(District.department_id == world.almaly_id))
        area = shape(district.geometry)
        minx, miny, maxx, maxy = area.bounds
        rows = []
        while len(rows) < CAMERAS:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if not area.contains(Point(lon, lat)):
                continue
            roll = rng.random()
            health = "online" if roll < 0.90 else "stale" if roll < 0.96 else "offline"
            rows.append({"operator_id": world.operator_id, "external_id": f"N-{len(rows):05d}", "lat": lat, "lon": lon,
                         "mount_kind": rng.choice(("road", "street", "yard", "school", "transport")),
                         "address": f"ул. {rng.choice(('Абая', 'Толе би', 'Гоголя', 'Жибек жолы', 'Райымбека'))}, "
                                    f"{rng.randint(1, 250)}",
                         "live_url": "", "department_id": world.almaly_id, "district_id": district.id,
                         "health": health, "outside_boundaries": False,
                         "last_seen_at": now - timedelta(seconds=rng.randint(5, 3600)), "created_at": now})
        s.execute(sa.insert(Camera), rows)
        cameras = list(s.execute(sa.select(Camera.id, Camera.lat, Camera.lon, Camera.external_id)
                                 .where(Camera.external_id.like("N-%")).order_by(Camera.id)))
        busy = cameras[:BUSY_CAMERAS]
        types = list(TYPE_LABELS_RU)
        statuses = [IncidentStatus.NEW.value] * 5 + [IncidentStatus.ACKNOWLEDGED.value] * 3 + [
            IncidentStatus.DISPATCHED.value, IncidentStatus.ON_SCENE.value]
        incidents = []
        for n in range(INCIDENTS):
            camera = rng.choice(busy) if n % 2 else rng.choice(cameras)
            kind = types[n % len(types)]
            opened = now - timedelta(seconds=rng.randint(30, 6 * 3600))
            incidents.append({"department_id": world.almaly_id, "camera_id": camera.id, "source": "camera",
                              "category": "public_order", "type": kind, "priority": DEFAULT_PRIORITY.get(kind, 3),
                              "status": rng.choice(statuses), "lat": camera.lat, "lon": camera.lon,
                              "address": f"у камеры {camera.external_id}", "event_count": rng.randint(1, 6),
                              "first_seen_at": opened, "last_seen_at": opened, "created_at": opened,
                              "updated_at": opened})
        s.execute(sa.insert(Incident), incidents)
    return [c.external_id for c in cameras[-200:]]


SCRIPT_EVENTS = {"FunctionCall", "TimerFire", "FireAnimationFrame", "HandlePostMessage", "EventDispatch",
                 "EvaluateScript", "XHRReadyStateChange", "XHRLoad"}


def main_thread_ms(trace: Path) -> dict[str, float]:
    """The renderer main thread in a trace (ms): busy in all, waiting in compositor commits, running script.

    With software WebGL the main thread waits in Commit while the map's frame is rasterised on the CPU; a
    GPU does that elsewhere. All three are printed.
    """
    events = json.loads(trace.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {(e["pid"], e["tid"]) for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"
            and e.get("args", {}).get("name") == "CrRendererMain"}
    ours = [e for e in events if (e.get("pid"), e.get("tid")) in main and e.get("ph") == "X"]
    return {"busy": sum(e.get("dur", 0) for e in ours if e["name"] == "RunTask") / 1000,
            "commit": sum(e.get("dur", 0) for e in ours if e["name"] == "Commit") / 1000,
            "script": sum(e.get("dur", 0) for e in ours if e["name"] in SCRIPT_EVENTS) / 1000}


def traced(chromium: Any, page: Any, path: Path, act: Any) -> dict[str, float]:
    """Trace the page's main thread while ``act()`` runs."""
    chromium.start_tracing(page=page, path=str(path),
                           categories=["devtools.timeline", "disabled-by-default-devtools.timeline", "__metadata"])
    try:
        act()
    finally:
        chromium.stop_tracing()
    return main_thread_ms(path)


def _longtasks(page: Any) -> list[float]:
    return page.evaluate("() => { const t = window.__long || []; window.__long = []; return t; }")


def bench_wall_render() -> str:
    """Build the night, serve it, and time the wall in Chromium; returns the figures line."""
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} not found (make chromium)")
    from playwright.sync_api import sync_playwright

    from dashboard.cli import wait_healthy
    from services.store.engine import Store
    from tests.conftest import PASSWORD, event, seed_world

    with tempfile.TemporaryDirectory(prefix="kuzet-wall-bench-") as tmp:
        db_url = f"sqlite:///{tmp}/night.db"
        store = Store(db_url)
        store.upgrade()
        world = seed_world(store)
        push_cameras = build_night(store, world)
        with store.session() as s:
            spots = s.execute(sa.text("SELECT lat, lon FROM incidents")).all()
        store.dispose()
        port = _free_port()
        env = {**os.environ, "KUZET_DATABASE_URL": db_url, "KUZET_SECRET_KEY": "bench", "PYTHONPATH": str(REPO),
               "KUZET_RATE_LIMIT_PER_S": "100000"}
        env.pop("KUZET_REDIS_URL", None)
        server = subprocess.Popen(KUZET + ["serve", "--port", str(port)], env=env, cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, timeout_s=30)
            settle(server.pid)
            with sync_playwright() as pw:
                chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"])
                context = chromium.new_context(viewport={"width": 1920, "height": 1080})
                page = context.new_page()
                page.goto(f"{url}/login")
                page.fill("#username", "duty.a")
                page.fill("#password", PASSWORD)
                with page.expect_navigation():
                    page.click("#login-submit")
                renders = []
                for _ in range(2):  # cold, then warm (cached scripts and map data)
                    started = time.perf_counter()
                    page.goto(f"{url}/wall")
                    page.wait_for_function(MAP_DRAWN, timeout=120_000, polling=50)
                    renders.append(time.perf_counter() - started)
                wall_bytes = page.evaluate("() => performance.getEntriesByType('resource').filter((r) => "
                                           "r.name.includes('/map/cameras.json') || r.name.includes('_dash-update'))"
                                           ".reduce((s, r) => s + r.encodedBodySize, 0)")
                page.evaluate("""() => { window.__long = []; new PerformanceObserver((list) => {
                    list.getEntries().forEach((e) => window.__long.push(e.duration)); }).observe({type: 'longtask'}); }""")
                page.wait_for_timeout(1500)
                _longtasks(page)
                headers = {"Authorization": f"Bearer {world.api_key}"}
                page.wait_for_timeout(4000)  # the first render's tiles and labels have settled
                costs, script, work, commits, quiet_script, quiet_work = [], [], [], [], [], []
                for n in range(PUSHES):
                    # Just before each push, the same wall doing nothing as long: its clock, ages and timers.
                    quiet = traced(chromium, page, Path(tmp) / f"quiet-{n}.json", lambda: page.wait_for_timeout(1500))
                    _longtasks(page)
                    quiet_script.append(quiet["script"])
                    quiet_work.append(quiet["busy"] - quiet["commit"])
                    before = page.evaluate("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount()", "wall-queue")

                    def push(camera: str = push_cameras[n], shown: int = before) -> None:
                        body = {"events": [event(camera, "weapon")]}
                        answer = requests.post(f"{url}/api/v1/events", json=body, headers=headers, timeout=10)
                        assert answer.status_code == 202, answer.text
                        page.wait_for_function("([g, n]) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() > n",
                                               arg=["wall-queue", shown], timeout=30_000, polling=20)
                        page.wait_for_timeout(1500)  # the map's patch and the counters land meanwhile

                    figures = traced(chromium, page, Path(tmp) / f"push-{n}.json", push)
                    costs.append(sum(_longtasks(page)))
                    script.append(figures["script"] - quiet["script"])
                    work.append(figures["busy"] - figures["commit"] - (quiet["busy"] - quiet["commit"]))
                    commits.append(figures["commit"] - quiet["commit"])
                # The raw baselines: the same cameras and incidents drawn by a bare MapLibre page and a bare Plotly one.
                incidents = json.dumps({"lat": [round(a, 6) for a, _ in spots], "lon": [round(b, 6) for _, b in spots]})
                cameras = f"/map/cameras.json?department={world.almaly_id}"
                raw_maplibre = _raw_page(context, f"{url}/bench-maplibre",
                                         RAW_MAPLIBRE.format(incidents=incidents, cameras=cameras), RAW_MAPLIBRE_DRAWN)
                from plotly.offline import get_plotlyjs

                plotly_js = get_plotlyjs()
                context.route(f"{url}/bench-plotly.js", lambda route: route.fulfill(body=plotly_js,
                                                                                  content_type="text/javascript"))
                baseline = _raw_page(context, f"{url}/bench-baseline",
                                     BASELINE.format(plotly=f"{url}/bench-plotly.js", incidents=incidents,
                                                     cameras=f"{url}{cameras}"),
                                     """() => { if (window.failed) { return true; }
                    const m = window.gd && window.gd._fullLayout.map && window.gd._fullLayout.map._subplot.map;
                    return !!m && m.loaded() && m.queryRenderedFeatures().length > 0; }""")
                chromium.close()
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    return (f"wall_render cameras={CAMERAS} open_incidents={INCIDENTS} first_render_cold_s={renders[0]:.2f} "
            f"first_render_warm_s={renders[1]:.2f} wall_data_bytes={wall_bytes} "
            f"push_script_ms_median={statistics.median(script):.0f} push_script_ms_max={max(script):.0f} "
            f"push_main_thread_ms_median={statistics.median(work):.0f} push_main_thread_ms_max={max(work):.0f} "
            f"push_commit_wait_ms_median={statistics.median(commits):.0f} "
            f"quiet_wall_script_ms_median={statistics.median(quiet_script):.0f} "
            f"quiet_wall_main_thread_ms_median={statistics.median(quiet_work):.0f} "
            f"push_longtask_ms_median={statistics.median(costs):.0f} push_longtask_ms_max={max(costs):.0f} "
            f"raw_maplibre_s={raw_maplibre:.2f} ratio_warm_to_raw_maplibre={renders[1] / raw_maplibre:.2f} "
            f"raw_plotly_figure_s={baseline:.2f} ratio_warm_to_raw_plotly={renders[1] / baseline:.2f}")


if __name__ == "__main__":
    print(bench_wall_render())
