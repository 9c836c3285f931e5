"""What the local stack's pumps share (local/timer_pump.py, local/stream_pump.py): a pass (`pump_once`) run every
`interval` seconds in a daemon thread, paused while the local reset wipes the tables (`pause` returns once the pass
under way has finished: a running handler is never interrupted), and stopped with the stack."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("guichet.local")


class BackgroundPump:
    """Subclasses set `name`, implement `pump_once()` and `forget()`, and take `self._lock` around a pass."""

    name = "pump"

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def pump_once(self) -> Any:
        raise NotImplementedError

    def forget(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Run ``pump_once`` every ``interval`` seconds in a daemon thread until ``stop()``."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def pause(self) -> None:
        """Deliver nothing until ``resume()``; returns once the pass in progress, if any, has finished (a running
        handler is never interrupted). The local reset (``local/reset.py``) pauses the pumps while it wipes."""
        self._paused.set()
        with self._lock:
            pass

    def resume(self) -> None:
        self._paused.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.pump_once()
            except Exception:  # keep pumping: a moto hiccup must not stop the session's timers or reports
                log.exception("%s pass failed", self.name)
            self._stop.wait(self._interval)
