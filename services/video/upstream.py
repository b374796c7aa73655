"""Fetching from an operator's video server: only the hosts registered for that operator, with time and size limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
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
    clip_total_s: float = 900.0  # a whole clip (or its check), which may be large

    @property
    def total_s(self) -> float:
        """A whole playlist, segment, picture or answer: a server trickling bytes is cut off after this."""
        return 2 * self.read_s


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
    """The centre's HTTP client towards operators' video servers (one connection pool for the process).

    No cookies are kept (one operator's would reach another's server), no proxy is taken from the environment
    (the allow-list is the whole story), nothing is asked for compressed (lengths and ranges stay true), and
    redirects are followed here, each hop checked, never by the library.
    """

    def __init__(self, limits: Limits | None = None, http: requests.Session | None = None) -> None:
        self.limits = limits or Limits()
        self.http = http or requests.Session()
        if http is None:
            self.http.mount("http://", HTTPAdapter(pool_connections=32, pool_maxsize=128, max_retries=0))
            self.http.mount("https://", HTTPAdapter(pool_connections=32, pool_maxsize=128, max_retries=0))
            self.http.trust_env = False
        self.http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.http.headers["Accept-Encoding"] = "identity"

    def open(self, url: str, hosts: frozenset[str], *, auth: str | None = None, method: str = "GET",
             headers: dict[str, str] | None = None, body: bytes | None = None) -> requests.Response:
        """Send one request, following at most a few redirects, each hop checked against ``hosts``; stream the body.

        Raises Forbidden for an address not registered for the operator and Unavailable when the server does not
        answer in time, cannot be reached or redirects nonsense. No message names the operator's addresses.
        """
        for _hop in range(self.limits.redirects + 1):
            host = host_of(url)
            if host is None or host not in hosts:
                raise Forbidden("the address is not among the video hosts registered for this camera's operator")
            sent = {**self.http.headers, **(headers or {})}
            if auth:
                sent["Authorization"] = auth
            try:
                prepared = requests.Request(method, url, headers=sent, data=body).prepare()
                # The adapter, not the session: the session would read a redirect's body whole (and parse its
                # Location) before handing the answer back, even with allow_redirects=False.
                answer = self.http.get_adapter(url).send(prepared, stream=True,
                                                         timeout=(self.limits.connect_s, self.limits.read_s))
            except requests.Timeout as exc:
                raise Unavailable(f"the operator's video server did not answer within {self.limits.read_s:g} s") from exc
            except (requests.RequestException, ValueError) as exc:
                raise Unavailable(f"the operator's video server cannot be reached ({type(exc).__name__})") from exc
            if answer.status_code in (301, 302, 303, 307, 308) and "Location" in answer.headers:
                answer.close()
                try:
                    url = urljoin(url, answer.headers["Location"])
                except ValueError as exc:
                    raise Unavailable("the operator's video server redirected to a malformed address") from exc
                if answer.status_code == 303:
                    method, body = "GET", None
                continue
            return answer
        raise Unavailable(f"the operator's video server redirected more than {self.limits.redirects} times")

    def read(self, answer: requests.Response, limit: int, total_s: float | None = None) -> bytes:
        """The whole body of ``answer``, refused past ``limit`` bytes or ``total_s`` seconds (closed either way)."""
        return b"".join(self.chunks(answer, limit, total_s))

    def chunks(self, answer: requests.Response, limit: int, total_s: float | None = None) -> Iterator[bytes]:
        """The body of ``answer`` as it arrives, never buffered whole.

        A body past ``limit`` bytes or ``total_s`` seconds (a server trickling bytes), or one broken off, raises
        Unavailable: a viewer sees a cut transfer as one, and nothing cut is taken for the whole.
        """
        deadline = time.monotonic() + (total_s if total_s is not None else self.limits.total_s)
        sent = 0
        try:
            # read1: what has arrived, at most one read each time, so a server trickling bytes meets the deadline
            # (iter_content would wait for a whole chunk before the clock is looked at).
            while chunk := answer.raw.read1(CHUNK, decode_content=True):
                sent += len(chunk)
                if sent > limit:
                    raise Unavailable(f"the operator's video server sent more than {limit} bytes", limit=limit)
                if time.monotonic() > deadline:
                    raise Unavailable("the operator's video server sent too slowly; cut off")
                yield chunk
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise Unavailable(f"the operator's video server broke off ({type(exc).__name__})") from exc
        finally:
            answer.close()


def expect_ok(answer: requests.Response, what: str) -> None:
    """Raise Unavailable (closing the answer) unless the server answered 2xx."""
    if 200 <= answer.status_code < 300:
        return
    answer.close()
    raise Unavailable(f"the video server answered {answer.status_code} for the {what}", status=answer.status_code)
