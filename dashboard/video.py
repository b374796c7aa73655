"""/video/<camera id>/...: every camera's live view, snapshots and clips, through the centre (services.video.proxy)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, redirect, request

from dashboard.api import person
from dashboard.api.problems import Problem, register as problems
from dashboard.context import kuzet, perform
from services.video.proxy import Served, VideoProxy
from services.video.upstream import Limits, Upstream

bp = Blueprint("video", __name__, url_prefix="/video/<int:camera_id>")
problems(bp)


def proxy() -> VideoProxy:
    """The app's video proxy."""
    return kuzet().video


def _answer(served: Served) -> Response:
    answer = Response(served.body, status=served.status, content_type=served.content_type,
                      direct_passthrough=not isinstance(served.body, bytes))
    answer.headers.update(served.headers)
    answer.headers.setdefault("Cache-Control", "no-store")
    answer.headers["X-Content-Type-Options"] = "nosniff"
    # Media under the centre's origin, never a document: opened on its own it can run nothing.
    answer.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return answer


@bp.get("/live.m3u8")
def live(camera_id: int) -> Response:
    """The camera's HLS playlist with every URI under /video/<camera id>/ (``?incident=`` names what it is for)."""
    served, view_id = perform(proxy().live_playlist, person(), camera_id, request.args.get("incident"))
    answer = _answer(served)
    answer.headers["X-Kuzet-View"] = str(view_id)
    return answer


@bp.get("/s/<token>/<name>")
def through(camera_id: int, token: str, name: str) -> Response:
    """A variant playlist, segment, key or clip the rewritten playlist (or a clip view) points at."""
    return _answer(perform(proxy().through, person(), camera_id, token, request.headers.get("Range")))


@bp.post("/whep")
def whep(camera_id: int) -> Response:
    """WHEP: the viewer's SDP offer relayed to the camera's endpoint; 201 with the answer and a session path."""
    if request.mimetype != "application/sdp":
        raise Problem(415, "unsupported-media-type", "Send an SDP offer", "Content-Type must be application/sdp")
    sdp, location, view_id = perform(proxy().whep_offer, person(), camera_id, request.get_data(cache=False),
                                     request.args.get("incident"))
    answer = Response(sdp, status=201, content_type="application/sdp")
    answer.headers.update({"Location": location, "X-Kuzet-View": str(view_id), "Cache-Control": "no-store"})
    return answer


@bp.delete("/whep/<token>")
def whep_close(camera_id: int, token: str) -> Response:
    """End the WebRTC session (and its view)."""
    perform(proxy().whep_close, person(), camera_id, token)
    return Response(status=200)


@bp.post("/views/<int:view_id>/end")
def end_view(camera_id: int, view_id: int) -> Response:
    """The player stopped (paused, hidden, closed): the view ends now. Sent with navigator.sendBeacon."""
    perform(proxy().end, person(), camera_id, view_id)
    return Response(status=204)


def _position(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 2 else -1


@bp.get("/snapshot/<int:event_id>/<position>")
def snapshot(camera_id: int, event_id: int, position: str) -> Response:
    """An evidence picture of one of the camera's events, its hash checked (``X-Kuzet-Evidence``)."""
    return _answer(perform(proxy().snapshot, person(), camera_id, event_id, _position(position)))


@bp.get("/clip/<int:event_id>/<position>")
def clip(camera_id: int, event_id: int, position: str) -> Response:
    """An evidence clip: a view of it opens, and the player is sent to where it streams from (ranges and all)."""
    path = perform(proxy().clip, person(), camera_id, event_id, _position(position), request.args.get("incident"))
    answer = redirect(path, code=303)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.get("/check/<int:event_id>/<position>")
def check(camera_id: int, event_id: int, position: str) -> Response:
    """The sha256 verdict of an evidence item (match, mismatch, undeclared), fetched and recorded on first asking."""
    done = perform(proxy().verify, person(), camera_id, event_id, _position(position))
    return jsonify({"verdict": done.verdict, "declared": done.declared, "actual": done.actual, "size": done.size,
                    "checked_at": done.checked_at.isoformat(), "checked_by": done.checked_by})


def init_app(app: Flask) -> None:
    """The video proxy on the app's bundle, its routes registered."""
    bundle = app.extensions["kuzet"]
    bundle.video = VideoProxy(bundle.settings.secret_key, Upstream(Limits(
        connect_s=bundle.settings.video_connect_timeout_s, read_s=bundle.settings.video_read_timeout_s)))
    app.register_blueprint(bp)
