"""The OpenSearch Service operations that the emulator serves itself, instead of moto.

Each handler takes the request parameters keyed by input member name, and
returns the response body or raises ApiError. Callers hold the state lock.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator import domains
from emulator.errors import ApiError, domain_not_found, validation_error
from emulator.software import (
    DomainKey,
    ScheduledBy,
    SoftwareState,
    UpdateStatus,
    iso_utc,
    scheduled_action,
    service_software_options,
)
from emulator.state import EmulatorState

_DOMAIN_NAME = re.compile(r"[a-z][a-z0-9\-]+")
_SCHEDULE_AT = ("NOW", "TIMESTAMP", "OFF_PEAK_WINDOW")
_ACTION_TYPES = ("SERVICE_SOFTWARE_UPDATE", "JVM_HEAP_SIZE_TUNING", "JVM_YOUNG_GEN_TUNING")
# Limit of the MaxResults member in the service model.
_MAX_RESULTS_LIMIT = 100


@dataclass
class Call:
    """One API request: who sent it, where, and its parameters by member name."""

    state: EmulatorState
    account_id: str
    region: str
    params: dict[str, Any]

    @property
    def now(self) -> float:
        return self.state.clock.now()


@dataclass
class _Domain:
    key: DomainKey
    moto_domain: Any
    software: SoftwareState


def _domain_name(value: Any, member: str = "DomainName") -> str:
    if value is None:
        raise validation_error(f"{member} is required.")
    if (
        not isinstance(value, str)
        or not (3 <= len(value) <= 28)
        or not _DOMAIN_NAME.fullmatch(value)
    ):
        raise validation_error(
            f"Invalid {member} {value!r}: a domain name has 3 to 28 characters, starts with "
            "a lowercase letter, and contains only lowercase letters, digits and hyphens."
        )
    return value


def _lookup(call: Call, name: str) -> _Domain:
    key = DomainKey(call.account_id, call.region, name)
    moto_domain = domains.find_domain(key)
    if moto_domain is None:
        raise domain_not_found(name)
    return _Domain(key, moto_domain, call.state.software_for(key, moto_domain))


def _enum(params: dict[str, Any], member: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(member)
    if value is None:
        return None
    if value not in allowed:
        raise validation_error(f"Invalid {member} {value!r}: use one of {', '.join(allowed)}.")
    return str(value)


def _desired_start_ms(params: dict[str, Any]) -> int | None:
    value = params.get("DesiredStartTime")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation_error(
            f"Invalid DesiredStartTime {value!r}: it must be an integer of epoch milliseconds."
        )
    return value


def _check_schedule_params(call: Call, schedule_at: str, desired_ms: int | None) -> None:
    """Reject a ScheduleAt and DesiredStartTime pair that cannot be scheduled at any domain."""
    if schedule_at == "TIMESTAMP":
        if desired_ms is None:
            raise validation_error(
                "ScheduleAt is TIMESTAMP, so DesiredStartTime (epoch milliseconds) is required."
            )
        now = call.now
        if desired_ms / 1000 < now:
            raise validation_error(
                f"DesiredStartTime {desired_ms} ({iso_utc(desired_ms / 1000)}) is in the past. "
                f"The current time is {iso_utc(now)}; give a future time in epoch milliseconds."
            )
    elif desired_ms is not None:
        raise validation_error(
            f"DesiredStartTime is only valid with ScheduleAt TIMESTAMP, not {schedule_at}."
        )


def _resolve_start(call: Call, domain: _Domain, schedule_at: str, desired_ms: int | None) -> float:
    """Return the epoch second at which the update is to start."""
    software = domain.software
    now = call.now
    if schedule_at == "NOW":
        return now + call.state.settings.pending_seconds
    if schedule_at == "OFF_PEAK_WINDOW":
        if not software.off_peak_window_enabled:
            raise validation_error(
                f"Domain {domain.key.name} has its off-peak window disabled, so ScheduleAt "
                "OFF_PEAK_WINDOW cannot be used. Use NOW or TIMESTAMP instead."
            )
        return software.next_off_peak_start(now)
    assert desired_ms is not None
    return desired_ms / 1000


def _check_deadline(software: SoftwareState, start: float) -> None:
    deadline = software.automated_update_date
    if software.optional_deployment or deadline is None or start <= deadline:
        return
    raise validation_error(
        f"Update {software.new_version} is required by {iso_utc(deadline)}, so it cannot start "
        f"at {iso_utc(start)}. Choose a start time before that date."
    )


def _status(call: Call, software: SoftwareState) -> UpdateStatus:
    return software.status(call.now, call.state.settings.in_progress_seconds)


def _options_response(call: Call, software: SoftwareState) -> dict[str, Any]:
    options = service_software_options(software, call.now, call.state.settings)
    return {"ServiceSoftwareOptions": options}


def start_service_software_update(call: Call) -> dict[str, Any]:
    name = _domain_name(call.params.get("DomainName"))
    desired_ms = _desired_start_ms(call.params)
    schedule_at = _enum(call.params, "ScheduleAt", _SCHEDULE_AT)
    if schedule_at is None:
        # The API defaults to TIMESTAMP when a start time is given, else NOW.
        schedule_at = "NOW" if desired_ms is None else "TIMESTAMP"
    _check_schedule_params(call, schedule_at, desired_ms)

    domain = _lookup(call, name)
    software = domain.software
    status = _status(call, software)
    if status is UpdateStatus.COMPLETED:
        raise ApiError(
            "BaseException",
            f"Domain {name} has no service software update available. "
            f"It already runs {software.current_version}.",
        )
    if status is UpdateStatus.NOT_ELIGIBLE:
        raise ApiError(
            "BaseException",
            f"Domain {name} is not eligible for update {software.new_version} at this time.",
        )
    if status is UpdateStatus.PENDING_UPDATE:
        assert software.scheduled_start is not None
        raise ApiError(
            "BaseException",
            f"Update {software.new_version} for domain {name} is already scheduled for "
            f"{iso_utc(software.scheduled_start)}. Use UpdateScheduledAction to move it.",
        )
    if status is UpdateStatus.IN_PROGRESS:
        raise ApiError(
            "BaseException",
            f"Update {software.new_version} for domain {name} is already in progress.",
        )

    start = _resolve_start(call, domain, schedule_at, desired_ms)
    _check_deadline(software, start)
    software.schedule(start, ScheduledBy.CUSTOMER)
    return _options_response(call, software)


def cancel_service_software_update(call: Call) -> dict[str, Any]:
    name = _domain_name(call.params.get("DomainName"))
    domain = _lookup(call, name)
    software = domain.software
    status = _status(call, software)
    if status is UpdateStatus.COMPLETED:
        raise ApiError("BaseException", f"Domain {name} has no service software update to cancel.")
    if status in (UpdateStatus.ELIGIBLE, UpdateStatus.NOT_ELIGIBLE):
        raise ApiError(
            "BaseException",
            f"Update {software.new_version} for domain {name} is not scheduled, "
            "so there is nothing to cancel.",
        )
    if status is UpdateStatus.IN_PROGRESS:
        raise ApiError(
            "BaseException",
            f"Update {software.new_version} for domain {name} is already in progress "
            "and can no longer be cancelled.",
        )
    if not software.optional_deployment:
        raise ApiError(
            "BaseException",
            f"Update {software.new_version} for domain {name} is required and cannot be cancelled.",
        )
    software.unschedule()
    return _options_response(call, software)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_token(token: Any) -> int:
    invalid = ApiError(
        "InvalidPaginationTokenException",
        f"Invalid NextToken {token!r}: pass the NextToken of the previous response unchanged.",
    )
    if not isinstance(token, str):
        raise invalid
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise invalid from error
    prefix, _, number = text.partition(":")
    if prefix != "offset" or not number.isdigit():
        raise invalid
    return int(number)


def _max_results(value: Any) -> int:
    if value is None:
        return _MAX_RESULTS_LIMIT
    number = value if isinstance(value, int) and not isinstance(value, bool) else 0
    if not 1 <= number <= _MAX_RESULTS_LIMIT:
        raise validation_error(
            f"Invalid maxResults {value!r}: it must be an integer from 1 to {_MAX_RESULTS_LIMIT}."
        )
    return number


def list_scheduled_actions(call: Call) -> dict[str, Any]:
    name = _domain_name(call.params.get("DomainName"))
    max_results = _max_results(call.params.get("MaxResults"))
    token = call.params.get("NextToken")
    offset = 0 if token is None else _decode_token(token)

    domain = _lookup(call, name)
    action = scheduled_action(domain.software, call.now, call.state.settings)
    actions = [] if action is None else [action]
    page = actions[offset : offset + max_results]
    response: dict[str, Any] = {"ScheduledActions": page}
    if offset + max_results < len(actions):
        response["NextToken"] = _encode_token(offset + max_results)
    return response


def _slot_suggestions(call: Call, key: DomainKey, start: float) -> list[int] | None:
    """Return SlotSuggestions when a test marked the slots of ``key`` unavailable, else None."""
    slots = call.state.slots.get(key)
    if slots is None or not slots.unavailable:
        return None
    if slots.suggestions is not None:
        return list(slots.suggestions)
    return [round((start + hours * 3600) * 1000) for hours in (1, 2, 3)]


def _required_string(params: dict[str, Any], member: str) -> str:
    value = params.get(member)
    if value is None:
        raise validation_error(f"{member} is required.")
    if not isinstance(value, str):
        raise validation_error(f"Invalid {member} {value!r}: it must be a string.")
    return value


def update_scheduled_action(call: Call) -> dict[str, Any]:
    name = _domain_name(call.params.get("DomainName"))
    action_id = _required_string(call.params, "ActionID")
    action_type = _enum(call.params, "ActionType", _ACTION_TYPES)
    schedule_at = _enum(call.params, "ScheduleAt", _SCHEDULE_AT)
    if action_type is None:
        raise validation_error("ActionType is required.")
    if schedule_at is None:
        raise validation_error("ScheduleAt is required.")
    desired_ms = _desired_start_ms(call.params)
    _check_schedule_params(call, schedule_at, desired_ms)

    domain = _lookup(call, name)
    software = domain.software
    action = scheduled_action(software, call.now, call.state.settings)
    if action is None or action["Id"] != action_id or action["Type"] != action_type:
        raise ApiError(
            "ResourceNotFoundException",
            f"Scheduled action {action_id} of type {action_type} not found for domain {name}.",
        )
    if action["Status"] != UpdateStatus.PENDING_UPDATE:
        raise validation_error(
            f"Scheduled action {action_id} is {action['Status']}. "
            "Only an action in PENDING_UPDATE can be rescheduled."
        )

    start = _resolve_start(call, domain, schedule_at, desired_ms)
    _check_deadline(software, start)
    suggestions = _slot_suggestions(call, domain.key, start)
    if suggestions is not None:
        raise ApiError(
            "SlotNotAvailableException",
            f"No capacity is available to start action {action_id} at {iso_utc(start)}. "
            "Choose one of the suggested slots.",
            SlotSuggestions=suggestions,
        )
    software.schedule(start, ScheduledBy.CUSTOMER)
    moved = scheduled_action(software, call.now, call.state.settings)
    assert moved is not None
    return {"ScheduledAction": moved}


def describe_domain(call: Call) -> dict[str, Any]:
    name = _domain_name(call.params.get("DomainName"))
    domain = _lookup(call, name)
    status = domains.fix_domain_status(
        domain.moto_domain.to_dict(), domain.software, call.now, call.state.settings
    )
    return {"DomainStatus": status}


def describe_domains(call: Call) -> dict[str, Any]:
    names = call.params.get("DomainNames")
    if names is None:
        raise validation_error("DomainNames is required.")
    if not isinstance(names, list):
        raise validation_error(f"Invalid DomainNames {names!r}: it must be a list of domain names.")
    statuses = []
    for value in names:
        name = _domain_name(value, member="DomainNames member")
        key = DomainKey(call.account_id, call.region, name)
        moto_domain = domains.find_domain(key)
        # Like moto 5.2.5, DescribeDomains leaves out unknown domains instead of failing.
        if moto_domain is None:
            continue
        software = call.state.software_for(key, moto_domain)
        statuses.append(
            domains.fix_domain_status(
                moto_domain.to_dict(), software, call.now, call.state.settings
            )
        )
    return {"DomainStatusList": statuses}


HANDLERS: dict[str, Callable[[Call], dict[str, Any]]] = {
    "StartServiceSoftwareUpdate": start_service_software_update,
    "CancelServiceSoftwareUpdate": cancel_service_software_update,
    "ListScheduledActions": list_scheduled_actions,
    "UpdateScheduledAction": update_scheduled_action,
    "DescribeDomain": describe_domain,
    "DescribeDomains": describe_domains,
}
