"""State of one emulator instance, apart from moto's backend."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from emulator import domains
from emulator.clock import EmulatedClock
from emulator.faults import FaultInjector
from emulator.software import DomainKey, Settings, SoftwareState


@dataclass
class SlotConfig:
    """Capacity that a test sets for UpdateScheduledAction on one domain."""

    unavailable: bool = False
    # Epoch milliseconds to send as SlotSuggestions. None means the emulator
    # suggests the requested start plus one, two and three hours.
    suggestions: list[int] | None = None


@dataclass
class _Entry:
    # moto's OpenSearchDomain object that this state belongs to. A domain that
    # is deleted and created again is a new object and gets a fresh state.
    domain: Any
    software: SoftwareState


class RequestLog:
    """Append-only log of API requests, for tests and demos. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append({"seq": len(self._entries) + 1, **entry})

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class EmulatorState:
    """Clock, settings, per-domain software state, slot settings, fault rules and the request log.

    Callers hold ``lock`` while they read or change the software state, the
    settings or moto's backend, because the HTTP server runs one thread per request.
    """

    clock: EmulatedClock
    settings: Settings = field(default_factory=Settings)
    slots: dict[DomainKey, SlotConfig] = field(default_factory=dict)
    requests: RequestLog = field(default_factory=RequestLog)
    # Has its own lock, so a request can pick its fault without taking ``lock``.
    faults: FaultInjector = field(default_factory=FaultInjector)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _software: dict[DomainKey, _Entry] = field(default_factory=dict)

    def software_for(self, key: DomainKey, domain: Any) -> SoftwareState:
        """Return the software state of ``domain``, creating a default one on first use."""
        entry = self._software.get(key)
        if entry is None or entry.domain is not domain:
            software = domains.default_software(
                domain.off_peak_window_options, domain.software_update_options
            )
            entry = _Entry(domain, software)
            self._software[key] = entry
        return entry.software

    def seed_software(self, key: DomainKey, domain: Any, software: SoftwareState) -> None:
        self._software[key] = _Entry(domain, software)

    def stuck_domains(self) -> list[DomainKey]:
        # An entry whose domain was deleted and created again belongs to the old domain.
        return [
            key
            for key, entry in self._software.items()
            if entry.software.stuck and domains.find_domain(key) is entry.domain
        ]

    def forget(self, key: DomainKey) -> SoftwareState | None:
        """Drop the state of a deleted domain and return its software state, if it had one."""
        self.slots.pop(key, None)
        entry = self._software.pop(key, None)
        return None if entry is None else entry.software

    def reset(self) -> None:
        """Drop all state, settings and fault rules, re-anchor the clock, and empty moto."""
        with self.lock:
            domains.reset_backends()
            # Stuck flags live in the software state, so this releases every stuck domain.
            self._software.clear()
            self.slots.clear()
            self.faults.clear()
            self.settings = Settings()
            self.requests.clear()
            self.clock.reset()
