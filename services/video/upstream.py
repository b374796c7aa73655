"""Fetching from an operator's video server: only the hosts registered for that operator, with time and size limits."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from services.errors import Forbidden, Unavailable

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """How long and how much the centre waits for and takes from an operator's server."""

    connect_s: float = 3.0
    read_s: float = 10.0
    playlist_bytes: int = 1 << 20
    segment_bytes: int = 64 << 20
    snapshot_bytes: int = 16 << 20
    clip_bytes: int = 1 << 30
    sdp_bytes: int = 64 << 10
    redirects: int = 3


def host_of(url: str) -> str | None:
    """``host:port`` of an http(s) URL in lower case, the scheme's port when none is given; None for anything else.

    A URL with user information (``http://user:pass@host/``) is none: credentials belong in the server-side
    setting, never in a URL an operator registers.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    return f"{parts.hostname.lower()}:{port or DEFAULT_PORTS[parts.scheme]}"


def normalise_host(entry: str) -> str:
    """A registered host as ``host:port`` ("cams.example.kz" -> "cams.example.kz:443"); ValueError if malformed."""
    text = entry.strip().lower()
    if "://" not in text:
        text = "https://" + text
    host = host_of(text)
    if host is None or urlsplit(text).path not in ("", "/"):
        raise ValueError(f"not a host[:port]: {entry!r}")
    return host


class Upstream:
    """The centre's HTTP client towards operators' video servers (one connection pool for the process)."""

    def __init__(self, limits: Limits | None = None, http: requests.Session | None = None) -> None:
        self.limits = limits or Limits()
        self.http = http or requests.Session()
        if http is None:
            adapter = HTTPAdapter(pool_connections=32, pool_maxsize=128, max_retries=0)
            self.http.mount("http://", adapter)
            self.http.mount("https://", adapter)
            self.http.trust_env = False  # no proxy from the environment: the allow-list is the whole story

    def open(self, url: str, hosts: frozenset[str], *, auth: str | None = None, method: str = "GET",
             headers: dict[str, str] | None = None, body: bytes | None = None) -> requests.Response:
        """Send one request, following at most a few redirects, each hop checked against ``hosts``; stream the body.

        Raises Forbidden for a host not registered for the operator and Unavailable when the server does not
        answer in time or cannot be reached.
        """
        for _hop in range(self.limits.redirects + 1):
            host = host_of(url)
            if host is None or host not in hosts:
                raise Forbidden(f"{host or url!r} is not a video host registered for this camera's operator",
                                host=host or "")
            sent = dict(headers or {})
            if auth:
                sent["Authorization"] = auth
            try:
                answer = self.http.request(method, url, headers=sent, data=body, stream=True, allow_redirects=False,
                                           timeout=(self.limits.connect_s, self.limits.read_s))
            except requests.Timeout as exc:
                raise Unavailable(f"the video server {host} did not answer within {self.limits.read_s:g} s",
                                  host=host) from exc
            except requests.RequestException as exc:
                raise Unavailable(f"the video server {host} cannot be reached ({type(exc).__name__})",
                                  host=host) from exc
            if answer.is_redirect and "Location" in answer.headers:
                url = urljoin(url, answer.headers["Location"])
                answer.close()
                continue
            return answer
        raise Unavailable(f"the video server redirected more than {self.limits.redirects} times", host=host_of(url) or "")

    def read(self, answer: requests.Response, limit: int) -> bytes:
        """The whole body of ``answer``, refused past ``limit`` bytes (the connection is closed either way)."""
        try:
            data = bytearray()
            for chunk in answer.iter_content(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise Unavailable(f"the video server sent more than {limit} bytes", limit=limit)
            return bytes(data)
        except requests.RequestException as exc:
            raise Unavailable(f"the video server broke off ({type(exc).__name__})") from exc
        finally:
            answer.close()

    def chunks(self, answer: requests.Response, limit: int) -> Iterator[bytes]:
        """The body of ``answer`` as it arrives, never buffered whole; it stops (logged) past ``limit`` bytes."""
        sent = 0
        try:
            for chunk in answer.iter_content(CHUNK):
                sent += len(chunk)
                if sent > limit:
                    logger.warning("video upstream %s went past %d bytes; cut off", answer.url, limit)
                    return
                yield chunk
        except requests.RequestException as exc:
            logger.warning("video upstream %s broke off: %s", answer.url, type(exc).__name__)
        finally:
            answer.close()


def expect_ok(answer: requests.Response, what: str) -> None:
    """Raise Unavailable (closing the answer) unless the server answered 2xx."""
    if 200 <= answer.status_code < 300:
        return
    answer.close()
    raise Unavailable(f"the video server answered {answer.status_code} for the {what}", status=answer.status_code)
