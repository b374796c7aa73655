"""The worker: consume the event stream, correlate events into incidents, store them."""

from services.worker.consumer import Worker, start_in_thread

__all__ = ["Worker", "start_in_thread"]
