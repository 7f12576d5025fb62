"""Where retrain events go: the log (Python ``logging``, logger ``modelyard.watch``) and, when a
URL is set, a webhook that receives each event as a JSON POST.

The webhook is posted from one background thread with retries and exponential backoff, so a slow
or failing endpoint never holds up the watch loop; an event that still fails after the retries is
logged and counted (``failed``), and a full queue drops the event and counts it too.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

log = logging.getLogger("modelyard.watch")

QUEUE_SIZE = 1000  # events waiting for the webhook; beyond it they are dropped and counted


class Alerts:
    """Send events to the log and, in the background, to ``webhook``."""

    def __init__(self, webhook: str | None = None, *, timeout: float = 5.0, retries: int = 3,
                 backoff: float = 1.0) -> None:
        self.webhook = webhook
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None

    def emit(self, event: dict[str, Any], *, webhook: str | None = None) -> None:
        """Log ``event`` and queue it for the webhook (``webhook`` overrides the default)."""
        level = logging.WARNING if event.get("level") == "warning" else logging.INFO
        log.log(level, "%s: %s", event.get("model", "-"), event.get("message", event))
        url = webhook or self.webhook
        if url is None:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="webhook", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((url, event))
        except queue.Full:
            self.dropped += 1
            log.error("webhook queue full: dropped an event of %s", event.get("model", "-"))

    def close(self, wait: float = 10.0) -> None:
        """Let queued events go out (up to ``wait`` seconds), then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(wait)
        self._thread = None

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=self.timeout) as client:
            while (item := self._queue.get()) is not None:
                url, event = item
                for attempt in range(self.retries + 1):
                    try:
                        response = client.post(url, json=event)
                        response.raise_for_status()
                        self.sent += 1
                        break
                    except httpx.HTTPError as err:
                        if attempt == self.retries:
                            self.failed += 1
                            log.error("webhook %s failed after %d tries: %s", url, attempt + 1,
                                      err)
                        else:
                            time.sleep(self.backoff * 2**attempt)
