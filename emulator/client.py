"""Typed client for the emulator's /_emulator/ control endpoints, built on urllib only."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

# Control calls are local, so no reply within 10 seconds means the emulator is stuck.
_TIMEOUT_SECONDS = 10.0


class EmulatorError(Exception):
    """A control call that the emulator rejected, or that could not reach it."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(f"emulator control call failed ({status}): {message}")
        self.status = status
        self.message = message


class EmulatorClient:
    """Client of one running emulator, for example ``EmulatorClient(server.url)``."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
                result: dict[str, Any] = json.loads(response.read())
                return result
        except urllib.error.HTTPError as error:
            try:
                message = str(json.loads(error.read()).get("message", error.reason))
            except (json.JSONDecodeError, UnicodeDecodeError):
                message = str(error.reason)
            raise EmulatorError(error.code, message) from error
        except (urllib.error.URLError, OSError) as error:
            raise EmulatorError(None, f"cannot reach {self.url}: {error}") from error

    def seed_domain(
        self,
        name: str,
        *,
        region: str = "us-east-1",
        account_id: str | None = None,
        current_version: str | None = None,
        new_version: str | None = None,
        optional_deployment: bool = True,
        automated_update_date: float | None = None,
        off_peak_window_enabled: bool = True,
        off_peak_start_hours: int = 0,
        off_peak_start_minutes: int = 0,
        auto_software_update_enabled: bool = False,
        update_status: str | None = None,
        scheduled_start: float | None = None,
        scheduled_by: str | None = None,
        engine_version: str | None = None,
    ) -> dict[str, Any]:
        """Create a domain (or keep an existing one) and set its service software state.

        ``new_version`` None means the domain is up to date. Times are epoch
        seconds on the emulator's clock. Returns the domain's DomainStatus.
        """
        body: dict[str, Any] = {
            "name": name,
            "region": region,
            "new_version": new_version,
            "optional_deployment": optional_deployment,
            "automated_update_date": automated_update_date,
            "off_peak_window_enabled": off_peak_window_enabled,
            "off_peak_start_hours": off_peak_start_hours,
            "off_peak_start_minutes": off_peak_start_minutes,
            "auto_software_update_enabled": auto_software_update_enabled,
        }
        optional = {
            "account_id": account_id,
            "current_version": current_version,
            "update_status": update_status,
            "scheduled_start": scheduled_start,
            "scheduled_by": scheduled_by,
            "engine_version": engine_version,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        status: dict[str, Any] = self._call("POST", "domains", body)["DomainStatus"]
        return status

    def delete_domain(
        self, name: str, region: str = "us-east-1", account_id: str | None = None
    ) -> None:
        """Delete a domain outside the API, as someone using the console would."""
        query = "" if account_id is None else f"?account_id={account_id}"
        self._call("DELETE", f"domains/{region}/{name}{query}")

    def advance(self, seconds: float) -> float:
        """Move the emulated clock forward and return the new time in epoch seconds."""
        now: float = self._call("POST", "clock", {"advance_seconds": seconds})["now"]
        return now

    def set_speed(self, speed: float) -> None:
        """Set how many emulated seconds pass per real second; 0 freezes the clock."""
        self._call("POST", "clock", {"speed": speed})

    def now(self) -> float:
        """Return the emulated time in epoch seconds."""
        now: float = self._call("GET", "clock")["now"]
        return now

    def requests(self) -> list[dict[str, Any]]:
        """Return the API request log, oldest first."""
        entries: list[dict[str, Any]] = self._call("GET", "requests")["requests"]
        return entries

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def settings(
        self,
        *,
        scheduled_time_unit: str | None = None,
        in_progress_seconds: float | None = None,
        pending_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Change the given settings and return all of them; with no argument, only read them."""
        body = {
            "scheduled_time_unit": scheduled_time_unit,
            "in_progress_seconds": in_progress_seconds,
            "pending_seconds": pending_seconds,
        }
        changes = {key: value for key, value in body.items() if value is not None}
        if not changes:
            return self._call("GET", "settings")
        return self._call("POST", "settings", changes)

    def set_slots(
        self,
        name: str,
        *,
        region: str = "us-east-1",
        unavailable: bool = True,
        suggestions: list[int] | None = None,
        account_id: str | None = None,
    ) -> None:
        """Make UpdateScheduledAction on a domain fail with SlotNotAvailableException, or stop that.

        ``suggestions`` are epoch milliseconds to return as SlotSuggestions.
        """
        body: dict[str, Any] = {"name": name, "region": region, "unavailable": unavailable}
        if suggestions is not None:
            body["suggestions"] = suggestions
        if account_id is not None:
            body["account_id"] = account_id
        self._call("POST", "slots", body)

    def set_faults(self, rules: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
        """Replace all fault rules and zero their counters, and return what ``faults`` returns.

        The rule format is in the docstring of emulator.faults.
        """
        return self._call("POST", "faults", {"seed": seed, "rules": rules})

    def faults(self) -> dict[str, Any]:
        """Return the seed, the rules, per-rule counters and the injected faults per operation."""
        return self._call("GET", "faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def set_stuck(
        self,
        name: str,
        stuck: bool = True,
        *,
        region: str = "us-east-1",
        account_id: str | None = None,
    ) -> dict[str, Any]:
        """Hold a domain's update in IN_PROGRESS however far the clock moves, or release it.

        A released update completes the emulator's in_progress_seconds after the
        later of its start and the release. Returns the domain's key, the flag
        and its UpdateStatus.
        """
        body: dict[str, Any] = {"name": name, "region": region, "stuck": stuck}
        if account_id is not None:
            body["account_id"] = account_id
        return self._call("POST", "stuck", body)

    def stuck_domains(self) -> list[dict[str, Any]]:
        """Return the name, region and account_id of every stuck domain."""
        domains: list[dict[str, Any]] = self._call("GET", "stuck")["domains"]
        return domains

    def reset(self) -> None:
        """Delete domains, requests and fault rules, restore the settings, re-anchor the clock."""
        self._call("POST", "reset")

    def health(self) -> bool:
        return bool(self._call("GET", "health").get("ok"))

    def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Poll the health endpoint until it responds, for at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.health():
                    return
            except EmulatorError:
                pass
            if time.monotonic() >= deadline:
                raise EmulatorError(
                    None, f"emulator at {self.url} not ready after {timeout} seconds"
                )
            time.sleep(0.05)
