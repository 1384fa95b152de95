"""Per-domain service software state, with update status derived from the emulated clock.

A state never stores its status. Every read calls ``settle`` and then derives the
status from the clock, so advancing the clock is enough to move an update from
PENDING_UPDATE to IN_PROGRESS to COMPLETED.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

ScheduledTimeUnit = Literal["milliseconds", "seconds"]


class UpdateStatus(StrEnum):
    """Values of the DeploymentStatus enum in the service model."""

    PENDING_UPDATE = "PENDING_UPDATE"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    ELIGIBLE = "ELIGIBLE"


class ScheduledBy(StrEnum):
    CUSTOMER = "CUSTOMER"
    SYSTEM = "SYSTEM"


@dataclass
class Settings:
    """Emulator-wide timing and format settings, changed through /_emulator/settings."""

    # The model types ScheduledTime as a Long with no unit, so clients must accept
    # both epoch milliseconds and epoch seconds. This picks the one sent.
    scheduled_time_unit: ScheduledTimeUnit = "milliseconds"
    # Emulated seconds that an update stays IN_PROGRESS.
    in_progress_seconds: float = 600.0
    # Emulated seconds between a ScheduleAt=NOW request and the update start.
    pending_seconds: float = 60.0


@dataclass(frozen=True)
class DomainKey:
    account_id: str
    region: str
    name: str


def iso_utc(epoch_seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SoftwareState:
    """Service software of one domain: versions, deadlines, off-peak window and schedule."""

    current_version: str
    # None when the domain runs the latest service software.
    new_version: str | None = None
    # False for a required update, which is applied automatically after automated_update_date.
    optional_deployment: bool = True
    automated_update_date: float | None = None
    off_peak_window_enabled: bool = True
    # The emulator's default off-peak window starts at 00:00 UTC.
    off_peak_start_hours: int = 0
    off_peak_start_minutes: int = 0
    auto_software_update_enabled: bool = False
    # A seeded NOT_ELIGIBLE status: an update exists but cannot be started.
    not_eligible: bool = False
    # Epoch seconds at which the update leaves PENDING_UPDATE and starts.
    scheduled_start: float | None = None
    scheduled_by: ScheduledBy | None = None
    completed_at: float | None = None
    # A stuck update stays IN_PROGRESS however far the clock moves, until released.
    stuck: bool = False
    # Epoch seconds of the last release from stuck, which restarts the IN_PROGRESS period.
    released_at: float | None = None

    def settle(self, now: float, in_progress_seconds: float) -> None:
        """Apply what the clock has made happen since the last read."""
        if (
            self.new_version is not None
            and not self.not_eligible
            and self.scheduled_start is None
            and not self.optional_deployment
            and self.automated_update_date is not None
            and now >= self.automated_update_date
        ):
            # The model documents AutomatedUpdateDate as the date after which AWS
            # updates the domain itself. NOTE: AWS names no exact start time, and
            # the emulator starts the update exactly at that date.
            self.scheduled_start = self.automated_update_date
            self.scheduled_by = ScheduledBy.SYSTEM

        if self.scheduled_start is None or self.new_version is None or self.stuck:
            return
        began = self.scheduled_start
        if self.released_at is not None:
            began = max(began, self.released_at)
        finished_at = began + in_progress_seconds
        if now >= finished_at:
            self.current_version = self.new_version
            self.new_version = None
            self.automated_update_date = None
            self.optional_deployment = True
            self.scheduled_start = None
            self.scheduled_by = None
            self.completed_at = finished_at
            self.released_at = None

    def status(self, now: float, in_progress_seconds: float) -> UpdateStatus:
        self.settle(now, in_progress_seconds)
        if self.new_version is None:
            return UpdateStatus.COMPLETED
        if self.not_eligible:
            return UpdateStatus.NOT_ELIGIBLE
        if self.scheduled_start is None:
            return UpdateStatus.ELIGIBLE
        if now < self.scheduled_start:
            return UpdateStatus.PENDING_UPDATE
        return UpdateStatus.IN_PROGRESS

    def schedule(self, start: float, scheduled_by: ScheduledBy) -> None:
        self.scheduled_start = start
        self.scheduled_by = scheduled_by

    def unschedule(self) -> None:
        self.scheduled_start = None
        self.scheduled_by = None

    def set_stuck(self, stuck: bool, now: float, in_progress_seconds: float) -> None:
        """Hold the update in IN_PROGRESS, or release it.

        A released update completes ``in_progress_seconds`` after the later of
        its start and the release, so it never completes before the release.
        """
        # Settle first, so that an update already due completes before it is held.
        self.settle(now, in_progress_seconds)
        if self.stuck and not stuck:
            self.released_at = now
        self.stuck = stuck

    def next_off_peak_start(self, now: float) -> float:
        """Return the first start of the off-peak window (UTC) at or after ``now``."""
        today = datetime.datetime.fromtimestamp(now, tz=datetime.UTC)
        start = today.replace(
            hour=self.off_peak_start_hours,
            minute=self.off_peak_start_minutes,
            second=0,
            microsecond=0,
        )
        if start.timestamp() < now:
            start += datetime.timedelta(days=1)
        return start.timestamp()


def describe_status(state: SoftwareState, status: UpdateStatus) -> str:
    """Write the human-readable Description for a ServiceSoftwareOptions value."""
    new_version = state.new_version or ""
    if status is UpdateStatus.COMPLETED:
        return f"Service software {state.current_version} is the latest version."
    if status is UpdateStatus.NOT_ELIGIBLE:
        return f"Update {new_version} exists, but the domain is not eligible for it now."
    if status is UpdateStatus.PENDING_UPDATE and state.scheduled_start is not None:
        return f"Update {new_version} is scheduled to start at {iso_utc(state.scheduled_start)}."
    if status is UpdateStatus.IN_PROGRESS:
        return f"Update {new_version} is being applied."
    if state.optional_deployment:
        return f"Optional update {new_version} is available."
    if state.automated_update_date is not None:
        deadline = iso_utc(state.automated_update_date)
        return (
            f"Required update {new_version} is available. Start it by {deadline}, "
            "or it is applied automatically after that date."
        )
    return f"Required update {new_version} is available."


def service_software_options(
    state: SoftwareState, now: float, settings: Settings
) -> dict[str, Any]:
    """Build the ServiceSoftwareOptions structure as rest-json sends it."""
    status = state.status(now, settings.in_progress_seconds)
    has_update = state.new_version is not None
    return {
        "CurrentVersion": state.current_version,
        "NewVersion": state.new_version or "",
        "UpdateAvailable": has_update and status is not UpdateStatus.NOT_ELIGIBLE,
        "Cancellable": status is UpdateStatus.PENDING_UPDATE and state.optional_deployment,
        "UpdateStatus": status.value,
        "Description": describe_status(state, status),
        # rest-json sends timestamps as epoch seconds. moto 5.2.5 also uses epoch
        # 0 when no date applies, so the emulator keeps that.
        "AutomatedUpdateDate": state.automated_update_date or 0,
        "OptionalDeployment": state.optional_deployment,
    }


def scheduled_time(start: float, settings: Settings) -> int:
    if settings.scheduled_time_unit == "seconds":
        return round(start)
    return round(start * 1000)


def scheduled_action(state: SoftwareState, now: float, settings: Settings) -> dict[str, Any] | None:
    """Build the ScheduledAction for a pending or running update, or None without one."""
    status = state.status(now, settings.in_progress_seconds)
    if status not in (UpdateStatus.PENDING_UPDATE, UpdateStatus.IN_PROGRESS):
        return None
    assert state.new_version is not None
    assert state.scheduled_start is not None
    assert state.scheduled_by is not None
    kind = "Optional" if state.optional_deployment else "Required"
    return {
        "Id": state.new_version,
        "Type": "SERVICE_SOFTWARE_UPDATE",
        "Severity": "MEDIUM" if state.optional_deployment else "HIGH",
        "ScheduledTime": scheduled_time(state.scheduled_start, settings),
        "Description": f"{kind} service software update to {state.new_version}.",
        "ScheduledBy": state.scheduled_by.value,
        "Status": status.value,
        "Mandatory": not state.optional_deployment,
        "Cancellable": status is UpdateStatus.PENDING_UPDATE and state.optional_deployment,
    }


def off_peak_window_options(state: SoftwareState) -> dict[str, Any]:
    return {
        "Enabled": state.off_peak_window_enabled,
        "OffPeakWindow": {
            "WindowStartTime": {
                "Hours": state.off_peak_start_hours,
                "Minutes": state.off_peak_start_minutes,
            }
        },
    }
