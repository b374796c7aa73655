"""The production web server of `kuzet serve`: Gunicorn, one process with the threaded worker.

This is the deployment Flask-SocketIO's documentation gives for its threading mode with
simple-websocket (``gunicorn -w 1 --threads 100 module:app``): one worker per process, because
Socket.IO needs every request of a client to reach the same process; more processes run as more
`kuzet serve` instances on their own ports, sharing the Socket.IO Redis message queue, behind a
load balancer with sticky sessions (see docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class KuzetServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn serving the app the factory builds in its worker process (after the fork, threads and all)."""

    def __init__(self, factory: Callable[[], Any], host: str, port: int, threads: int) -> None:
        self._factory = factory
        self._options = {"bind": f"{host}:{port}", "workers": 1, "worker_class": "gthread", "threads": threads,
                         "timeout": 120, "graceful_timeout": 10, "keepalive": 5, "accesslog": None,
                         "errorlog": "-", "loglevel": "warning", "proc_name": "kuzet-serve",
                         "limit_request_line": 8190}
        super().__init__()

    def load_config(self) -> None:
        """Hand Gunicorn its settings (no config file, no command line of its own)."""
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the WSGI app in the worker."""
        return self._factory()
