"""Emulated wall clock that tests can freeze and move, and demos can run fast."""

from __future__ import annotations

import threading
import time


class EmulatedClock:
    """Epoch-seconds clock: start + real elapsed seconds * speed + manual advances.

    Speed 0 freezes the clock, so only ``advance`` moves it. Speed 60 turns one
    real second into one emulated minute. All methods are thread-safe.
    """

    def __init__(self, speed: float = 0.0, start: float | None = None) -> None:
        if speed < 0:
            raise ValueError(f"clock speed must be >= 0, got {speed}")
        self._lock = threading.Lock()
        self._speed = speed
        self._anchor_emulated = time.time() if start is None else start
        # A monotonic anchor keeps emulated time steady when the host's wall clock jumps.
        self._anchor_monotonic = time.monotonic()

    def _now_locked(self) -> float:
        elapsed = time.monotonic() - self._anchor_monotonic
        return self._anchor_emulated + elapsed * self._speed

    def now(self) -> float:
        with self._lock:
            return self._now_locked()

    @property
    def speed(self) -> float:
        with self._lock:
            return self._speed

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError(f"clock speed must be >= 0, got {speed}")
        with self._lock:
            # Re-anchor first so the new speed applies only from now on.
            self._anchor_emulated = self._now_locked()
            self._anchor_monotonic = time.monotonic()
            self._speed = speed

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got advance of {seconds} seconds")
        with self._lock:
            self._anchor_emulated += seconds
            return self._now_locked()

    def reset(self) -> None:
        """Drop all advances and elapsed time, so the clock reads the real time again."""
        with self._lock:
            self._anchor_emulated = time.time()
            self._anchor_monotonic = time.monotonic()
