"""Handlers of the /_emulator/ control endpoints, which tests and demos call without signing.

Each handler takes the decoded JSON body and returns a JSON-ready dict, or
raises ControlError with a message that names the rejected field.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID

from emulator import domains, faults
from emulator.errors import ControlError
from emulator.fields import Fields
from emulator.software import (
    DomainKey,
    ScheduledBy,
    SoftwareState,
    UpdateStatus,
)
from emulator.state import EmulatorState, SlotConfig

_DOMAIN_NAME = re.compile(r"[a-z][a-z0-9\-]{2,27}")
_ACCOUNT_ID = re.compile(r"\d{12}")

control_log = logging.getLogger("emulator.control")


def _domain_key(fields: Fields) -> DomainKey:
    name = fields.string("name")
    if not _DOMAIN_NAME.fullmatch(name):
        raise ControlError(
            f"field 'name' must be 3 to 28 characters of lowercase letters, digits and hyphens, "
            f"starting with a letter, got {name!r}"
        )
    region = fields.string("region", default="us-east-1")
    account_id = fields.string("account_id", default=DEFAULT_ACCOUNT_ID)
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise ControlError(f"field 'account_id' must be 12 digits, got {account_id!r}")
    if not domains.known_region(account_id, region):
        raise ControlError(f"field 'region' is not an AWS region in moto's list: {region!r}")
    return DomainKey(account_id, region, name)


def _apply_seeded_status(fields: Fields, software: SoftwareState, now: float) -> None:
    """Set the update timeline that the seed's update_status and scheduled_start ask for."""
    status = fields.choice("update_status", tuple(item.value for item in UpdateStatus))
    scheduled_start = fields.optional_number("scheduled_start")
    scheduled_by = fields.choice("scheduled_by", tuple(item.value for item in ScheduledBy))
    if status is None:
        status = UpdateStatus.ELIGIBLE if software.new_version else UpdateStatus.COMPLETED

    if software.new_version is None and status != UpdateStatus.COMPLETED:
        raise ControlError(f"field 'update_status' {status} needs a non-null 'new_version'")
    if software.new_version is not None and status == UpdateStatus.COMPLETED:
        raise ControlError("field 'update_status' COMPLETED needs 'new_version' to be null")
    timed = (UpdateStatus.PENDING_UPDATE, UpdateStatus.IN_PROGRESS)
    if status not in timed and scheduled_start is not None:
        raise ControlError(
            "field 'scheduled_start' is only valid with PENDING_UPDATE or IN_PROGRESS"
        )

    software.not_eligible = status == UpdateStatus.NOT_ELIGIBLE
    if status == UpdateStatus.PENDING_UPDATE:
        if scheduled_start is None or scheduled_start <= now:
            raise ControlError(
                f"field 'scheduled_start' must be epoch seconds after the emulator's now ({now}) "
                "for PENDING_UPDATE"
            )
    elif status == UpdateStatus.IN_PROGRESS:
        scheduled_start = now if scheduled_start is None else scheduled_start
        if scheduled_start > now:
            raise ControlError(
                f"field 'scheduled_start' must not be after the emulator's now ({now}) "
                "for IN_PROGRESS"
            )
    if scheduled_start is not None:
        software.schedule(scheduled_start, ScheduledBy(scheduled_by or ScheduledBy.SYSTEM))


def seed_domain(state: EmulatorState, body: Any) -> dict[str, Any]:
    """Create a domain in moto, or keep the existing one, and replace its software state."""
    fields = Fields(body)
    key = _domain_key(fields)
    software = SoftwareState(
        current_version=fields.string(
            "current_version", default=domains.DEFAULT_SERVICE_SOFTWARE_VERSION
        ),
        new_version=fields.optional_string("new_version"),
        optional_deployment=fields.boolean("optional_deployment", default=True),
        automated_update_date=fields.optional_number("automated_update_date", minimum=0),
        off_peak_window_enabled=fields.boolean("off_peak_window_enabled", default=True),
        off_peak_start_hours=fields.integer("off_peak_start_hours", 0, 0, 23),
        off_peak_start_minutes=fields.integer("off_peak_start_minutes", 0, 0, 59),
        auto_software_update_enabled=fields.boolean("auto_software_update_enabled", default=False),
    )
    engine_version = fields.optional_string("engine_version")
    with state.lock:
        now = state.clock.now()
        _apply_seeded_status(fields, software, now)
        fields.reject_unknown()

        moto_domain = domains.find_domain(key)
        if moto_domain is None:
            moto_domain = domains.create_domain(key, engine_version, software)
        state.seed_software(key, moto_domain, software)
        status = domains.fix_domain_status(moto_domain.to_dict(), software, now, state.settings)
    return {"DomainStatus": status}


def delete_domain(state: EmulatorState, account_id: str, region: str, name: str) -> dict[str, Any]:
    """Delete a domain behind the client's back, as the console or another tool would."""
    key = DomainKey(account_id, region, name)
    with state.lock:
        if not domains.delete_domain(key):
            raise ControlError(
                f"domain {name!r} not found in account {account_id}, region {region}", status=404
            )
        state.forget(key)
    return {"deleted": True, "name": name, "region": region, "account_id": account_id}


def clock_info(state: EmulatorState) -> dict[str, Any]:
    return {"now": state.clock.now(), "speed": state.clock.speed}


def change_clock(state: EmulatorState, body: Any) -> dict[str, Any]:
    fields = Fields(body)
    advance_seconds = fields.optional_number("advance_seconds", minimum=0)
    speed = fields.optional_number("speed", minimum=0)
    fields.reject_unknown()
    if advance_seconds is None and speed is None:
        raise ControlError("give 'advance_seconds', 'speed' or both")
    if speed is not None:
        state.clock.set_speed(speed)
    if advance_seconds is not None:
        state.clock.advance(advance_seconds)
    return clock_info(state)


def settings_info(state: EmulatorState) -> dict[str, Any]:
    settings = state.settings
    return {
        "scheduled_time_unit": settings.scheduled_time_unit,
        "in_progress_seconds": settings.in_progress_seconds,
        "pending_seconds": settings.pending_seconds,
    }


def change_settings(state: EmulatorState, body: Any) -> dict[str, Any]:
    fields = Fields(body)
    unit = fields.choice("scheduled_time_unit", ("milliseconds", "seconds"))
    in_progress_seconds = fields.optional_number("in_progress_seconds", minimum=1)
    pending_seconds = fields.optional_number("pending_seconds", minimum=0)
    fields.reject_unknown()
    with state.lock:
        if unit == "seconds":
            state.settings.scheduled_time_unit = "seconds"
        elif unit == "milliseconds":
            state.settings.scheduled_time_unit = "milliseconds"
        if in_progress_seconds is not None:
            state.settings.in_progress_seconds = in_progress_seconds
        if pending_seconds is not None:
            state.settings.pending_seconds = pending_seconds
        return settings_info(state)


def change_slots(state: EmulatorState, body: Any) -> dict[str, Any]:
    fields = Fields(body)
    key = _domain_key(fields)
    unavailable = fields.boolean("unavailable")
    suggestions = fields.integer_list("suggestions")
    fields.reject_unknown()
    with state.lock:
        state.slots[key] = SlotConfig(unavailable=unavailable, suggestions=suggestions)
    return {
        "name": key.name,
        "region": key.region,
        "account_id": key.account_id,
        "unavailable": unavailable,
        "suggestions": suggestions,
    }


def set_faults(state: EmulatorState, body: Any) -> dict[str, Any]:
    """Replace all fault rules and zero their counters. The body format is in emulator.faults."""
    config = faults.parse_config(body)
    state.faults.replace(config)
    control_log.info("fault rules replaced: seed %d, %d rule(s)", config.seed, len(config.rules))
    return state.faults.snapshot()


def clear_faults(state: EmulatorState) -> dict[str, Any]:
    state.faults.clear()
    control_log.info("fault rules cleared")
    return state.faults.snapshot()


def change_stuck(state: EmulatorState, body: Any) -> dict[str, Any]:
    """Hold a domain's update in IN_PROGRESS, or release it (see SoftwareState.set_stuck)."""
    fields = Fields(body)
    key = _domain_key(fields)
    stuck = fields.boolean("stuck")
    fields.reject_unknown()
    with state.lock:
        moto_domain = domains.find_domain(key)
        if moto_domain is None:
            raise ControlError(
                f"domain {key.name!r} not found in account {key.account_id}, region {key.region}",
                status=404,
            )
        software = state.software_for(key, moto_domain)
        now = state.clock.now()
        software.set_stuck(stuck, now, state.settings.in_progress_seconds)
        status = software.status(now, state.settings.in_progress_seconds)
    control_log.info("domain %s in %s: stuck=%s", key.name, key.region, stuck)
    return {
        "name": key.name,
        "region": key.region,
        "account_id": key.account_id,
        "stuck": stuck,
        "update_status": status.value,
    }


def stuck_info(state: EmulatorState) -> dict[str, Any]:
    with state.lock:
        keys = state.stuck_domains()
    return {
        "domains": [
            {"name": key.name, "region": key.region, "account_id": key.account_id} for key in keys
        ]
    }
