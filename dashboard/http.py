"""WSGI-level guards for the API: body caps, and gzip bodies decompressed under a cap, before Flask sees them."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

PROBLEM_BASE = "https://kuzet.kz/problems/"
WIRE_BODY = "kuzet.wire_body"  # environ key: the compressed bytes as sent, for the HMAC signature
INFLATED_CAP = "kuzet.inflated_cap"  # environ key: the cap that applies to the inflated body


REFUSED = "kuzet.refused"  # environ key: (status, slug, title, detail) of a body refused before the app
REFUSED_BODY = "kuzet.refused_body"  # environ key: its first bytes as sent, for the dead-letter store
KEPT_BYTES = 64 * 1024  # the dead-letter store keeps at most this much of a body


def _problem(start_response: StartResponse, status: int, slug: str, title: str, detail: str) -> list[bytes]:
    body = json.dumps({"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}).encode()
    start_response(f"{status} {HTTPStatus(status).phrase}", [("Content-Type", "application/problem+json"),
                                          ("Content-Length", str(len(body)))])
    return [body]


class GzipRequests:
    """Caps API bodies and inflates `Content-Encoding: gzip` under a cap, before Flask sees them.

    A refused body is not answered here: the app gets an empty body marked REFUSED, with the first
    KEPT_BYTES of what was sent, so that it can keep those for the operator's review (dead letters)
    once it knows who sent them, then answer with the problem.
    """

    def __init__(self, app: WSGIApp, max_compressed: int, max_decompressed: int) -> None:
        self.app = app
        self.max_compressed = max_compressed
        self.max_decompressed = max_decompressed

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith("/api/"):
            return self.app(environ, start_response)
        encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        length = environ.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return _problem(start_response, 400, "malformed-body", "Bad Content-Length", "not a number of bytes")
        if int(length) > self.max_compressed:
            return self._refuse(environ, start_response, 413, "payload-too-large", "Body too large",
                                f"body over {self.max_compressed} bytes")
        if not encoding or encoding == "identity":
            return self.app(environ, start_response)
        if encoding != "gzip":
            return self._refuse(environ, start_response, 415, "unsupported-encoding", "Unsupported Content-Encoding",
                                "only gzip is accepted")
        compressed = environ["wsgi.input"].read(int(length))
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(compressed, self.max_decompressed + 1)
        except zlib.error:
            return self._refuse(environ, start_response, 400, "malformed-body", "Body is not valid gzip",
                                "gzip stream is corrupt", compressed)
        if len(data) > self.max_decompressed or inflater.unconsumed_tail:
            return self._refuse(environ, start_response, 413, "payload-too-large", "Body inflates too far",
                                f"decompressed body over {self.max_decompressed} bytes", compressed)
        if not inflater.eof:
            return self._refuse(environ, start_response, 400, "malformed-body", "Body is not valid gzip",
                                "gzip stream is truncated", compressed)
        # The signature covers the bytes on the wire; the inflated body gets the larger cap (see dashboard.api).
        environ = {**environ, "wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": str(len(data)),
                   WIRE_BODY: compressed, INFLATED_CAP: self.max_decompressed}
        environ.pop("HTTP_CONTENT_ENCODING", None)
        return self.app(environ, start_response)

    def _refuse(self, environ: dict[str, Any], start_response: StartResponse, status: int, slug: str, title: str,
                detail: str, sent: bytes | None = None) -> Iterable[bytes]:
        if sent is None:  # not read yet: read no more than the store keeps
            sent = environ["wsgi.input"].read(min(int(environ.get("CONTENT_LENGTH") or 0), KEPT_BYTES))
        environ = {**environ, "wsgi.input": io.BytesIO(b""), "CONTENT_LENGTH": "0",
                   REFUSED: (status, slug, title, detail), REFUSED_BODY: sent[:KEPT_BYTES]}
        environ.pop("HTTP_CONTENT_ENCODING", None)
        return self.app(environ, start_response)


# Static files of the app and of Dash's components: the only answers a browser or proxy may keep.
CACHEABLE_PREFIXES = ("/assets/", "/_dash-component-suites/", "/favicon.ico")


def content_security_policy(script_hashes: list[str]) -> str:
    """The pages' CSP: scripts only from Kuzet itself and Dash's own inline scripts by hash, nothing framed.

    Styles stay 'unsafe-inline': Dash and Mantine set style attributes on every component. The map's
    renderer runs its tiles' work in workers it builds from blob: URLs; the HLS player feeds the video element
    through a blob: URL (Media Source Extensions). Video comes only from Kuzet's own /video/ paths.
    """
    scripts = " ".join(script_hashes)  # Dash hands them quoted: 'sha256-…'
    return ("default-src 'self'; "
            f"script-src 'self' {scripts}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
            "media-src 'self' blob:; "
            "connect-src 'self' ws: wss:; worker-src 'self' blob:; child-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def secure_headers(response: Any) -> Any:
    """Headers every answer carries: no sniffing, no framing, no referrer off-site, nothing private cached."""
    from flask import current_app, request

    headers = response.headers
    policy = current_app.config.get("KUZET_CSP")
    if policy is None:
        dash_app = current_app.extensions.get("dash")
        policy = content_security_policy(list(dash_app.csp_hashes()) if dash_app is not None else [])
        current_app.config["KUZET_CSP"] = policy  # the inline scripts are fixed once the callbacks are registered
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not request.path.startswith(CACHEABLE_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, with a body nested too deep for the parser refused like any malformed body.

    ``json.loads`` raises RecursionError, not ValueError, past about a thousand levels; Flask and
    Dash only expect the latter, so without this a 5,000-deep body was a 500 on every JSON route.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse, or ValueError for a document nested too deep."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deep") from None


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a 32-bit id or no match (404), never a number the database cannot hold."""

    regex = r"[0-9]+"  # ASCII digits only: werkzeug's \d+ takes "١" and "１" for 1

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int = 0, max: int = 2**31 - 1,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
