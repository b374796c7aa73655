"""The video proxy's cost: time added per segment (p50, p99) and throughput with 50 viewers of 10 cameras,
each beside fetching the same segments straight from the operator's server in the same run.

`kuzet serve` (Gunicorn, PostgreSQL, Redis) in front of an operator origin on 127.0.0.1 that serves real
H.264 HLS recorded from the demo's test-stream server (tools/media_sim.py), so the origin costs nothing
but file serving and the difference is Kuzet's: login scope, the view on record, ticket decryption, the
allow-list, and the streaming copy.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import m3u8
import requests
import sqlalchemy as sa

CAMERAS = 10
VIEWERS = 50
PAIRS = 300


def _record(cameras: list[str]) -> dict[str, tuple[str, bytes]]:
    """Real HLS of each camera (playlist and its segments) from the demo's test-stream server, kept in memory."""
    from tools.media_sim import MediaServer

    files: dict[str, tuple[str, bytes]] = {}
    with MediaServer(segment_s=1.0) as media:
        for camera in cameras:
            answer = requests.get(media.live_url(camera), timeout=20)
            answer.raise_for_status()
            playlist = m3u8.loads(answer.text, uri=media.live_url(camera))
            for segment in playlist.segments:
                files[f"/hls/{camera}/{segment.uri.rsplit('/', 1)[-1]}"] = (
                    "video/mp2t", requests.get(segment.absolute_uri, timeout=20).content)
            playlist.is_endlist = True
            for segment in playlist.segments:
                segment.uri = segment.uri.rsplit("/", 1)[-1]
            files[f"/hls/{camera}/live.m3u8"] = ("application/vnd.apple.mpegurl", playlist.dumps().encode())
    return files


def _origin(files: dict[str, tuple[str, bytes]]) -> ThreadingHTTPServer:
    """An operator's video server that only serves what it holds, as fast as the loopback allows."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            # As nginx's tcp_nodelay: without it every answer's tail waits 40 ms for the client's delayed ACK.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            kind, body = files.get(self.path.split("?")[0], ("text/plain", b""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] if len(values) > 1 else values[0]


def bench_video_proxy(admin_url: str, redis_url: str, seconds: float = 15.0) -> str:
    """Per-segment added time and 50-viewer throughput through /video/<id>/, against the origin direct."""
    from benchmarks.http_ingest import _pipeline
    from services.access.operators import set_video_access
    from services.store.models import Camera, Operator
    from tests.conftest import ALMALY_POINT, credentials

    names = [f"BENCH-{n:02d}" for n in range(CAMERAS)]
    files = _record(names)
    origin = _origin(files)
    host = f"127.0.0.1:{origin.server_address[1]}"
    try:
        with _pipeline(admin_url, redis_url, workers=0) as (_db_url, store, world, url):
            ids: dict[str, int] = {}
            with store.session() as s:
                set_video_access(s, "bench", s.get(Operator, world.operator_id), [host])
                for n, name in enumerate(names):
                    camera = Camera(operator_id=world.operator_id, external_id=name, lat=ALMALY_POINT[0] + n * 1e-4,
                                    lon=ALMALY_POINT[1], department_id=world.almaly_id, live_protocol="hls",
                                    live_url=f"http://{host}/hls/{name}/live.m3u8")
                    s.add(camera)
                    s.flush()
                    ids[name] = camera.id
            token = requests.post(f"{url}/api/v1/auth/token", json=credentials("duty.a"), timeout=30).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}

            def proxied_segments(http: requests.Session, name: str) -> list[str]:
                text = http.get(f"{url}/video/{ids[name]}/live.m3u8", headers=auth, timeout=30).text
                return [url + s.uri for s in m3u8.loads(text).segments]

            direct_of = {name: [f"http://{host}/hls/{name}/{s.uri}" for s in m3u8.loads(
                files[f"/hls/{name}/live.m3u8"][1].decode()).segments] for name in names}
            http = requests.Session()
            pairs: list[tuple[float, float]] = []
            for k in range(PAIRS):
                name = names[k % CAMERAS]
                through = proxied_segments(http, name)
                j = k % len(through)
                timed = []
                for target, headers in ((direct_of[name][j], {}), (through[j], auth))[:: 1 if k % 2 else -1]:
                    started = time.perf_counter()
                    body = http.get(target, headers=headers, timeout=30).content
                    timed.append((target.startswith(url), time.perf_counter() - started, len(body)))
                by = {proxy: t for proxy, t, _ in timed}
                pairs.append((by[False], by[True]))
            direct = [d * 1000 for d, _ in pairs]
            through_ms = [p * 1000 for _, p in pairs]
            added = [(p - d) * 1000 for d, p in pairs]

            def viewers(proxy: bool) -> tuple[int, int, float]:
                stop = threading.Event()
                counts = [0] * VIEWERS
                sizes = [0] * VIEWERS

                def viewer(v: int) -> None:
                    session = requests.Session()
                    name = names[v % CAMERAS]
                    while not stop.is_set():
                        segments = proxied_segments(session, name) if proxy else direct_of[name]
                        for target in segments:
                            if stop.is_set():
                                return
                            sizes[v] += len(session.get(target, headers=auth if proxy else {}, timeout=30).content)
                            counts[v] += 1

                threads = [threading.Thread(target=viewer, args=(v,), daemon=True) for v in range(VIEWERS)]
                started = time.perf_counter()
                for t in threads:
                    t.start()
                time.sleep(seconds)
                stop.set()
                for t in threads:
                    t.join(timeout=30)
                took = time.perf_counter() - started
                return sum(counts), sum(sizes), took

            d_count, d_bytes, d_took = viewers(False)
            p_count, p_bytes, p_took = viewers(True)
            with store.session() as s:
                views = s.scalar(sa.text("SELECT count(*) FROM video_views"))
    finally:
        origin.shutdown()
        origin.server_close()
    seg_kb = statistics.median(len(b) for k, (_, b) in files.items() if k.endswith(".ts")) / 1024
    return (f"segment_kib_median={seg_kb:.0f} direct_ms_p50={_quantile(direct, 0.5):.2f} "
            f"direct_ms_p99={_quantile(direct, 0.99):.2f} proxied_ms_p50={_quantile(through_ms, 0.5):.2f} "
            f"proxied_ms_p99={_quantile(through_ms, 0.99):.2f} added_ms_p50={_quantile(added, 0.5):.2f} "
            f"added_ms_p99={_quantile(added, 0.99):.2f} | viewers={VIEWERS} cameras={CAMERAS} "
            f"direct_segments_per_s={d_count / d_took:.0f} direct_mib_per_s={d_bytes / d_took / 2**20:.1f} "
            f"proxied_segments_per_s={p_count / p_took:.0f} proxied_mib_per_s={p_bytes / p_took / 2**20:.1f} "
            f"ratio={(p_count / p_took) / max(d_count / d_took, 1e-9):.2f} "
            f"realtime_viewers_at_1s_segments={p_count / p_took:.0f} views_on_record={views}")
