"""Validation and normalization of ServiceSoftwareUpdate inputs.

Everything here is pure: no AWS calls, so the provider's ``check`` can run it during
``pulumi preview`` and reject bad input before anything reaches AWS.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pulumi

# Sent by the Pulumi engine in place of a value that is not known yet (an Output that
# resolves only during `pulumi up`); equal to pulumi.runtime.rpc.UNKNOWN.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

SCHEDULE_NOW = "NOW"
SCHEDULE_TIMESTAMP = "TIMESTAMP"
SCHEDULE_OFF_PEAK_WINDOW = "OFF_PEAK_WINDOW"
SCHEDULE_VALUES = (SCHEDULE_NOW, SCHEDULE_TIMESTAMP, SCHEDULE_OFF_PEAK_WINDOW)

# DomainName constraints from the StartServiceSoftwareUpdate API reference.
DOMAIN_NAME_MIN_LENGTH = 3
DOMAIN_NAME_MAX_LENGTH = 28
DOMAIN_NAME_PATTERN = re.compile(r"[a-z][a-z0-9\-]+")

# Epoch milliseconds for 2001-09-09T01:46:40Z. Any plausible start time in milliseconds is
# above it, and any time in epoch seconds stays below it until the year 33658, so a smaller
# value is taken as seconds by mistake.
_MIN_EPOCH_MILLISECONDS = 1_000_000_000_000
# Epoch milliseconds for 10000-01-01T00:00:00Z, the first moment that Python's datetime,
# and so ISO-8601 output, cannot hold. A start time in epoch microseconds is above it.
_END_EPOCH_MILLISECONDS = 253_402_300_800_000


class InvalidInputError(pulumi.RunError, ValueError):
    """Bad input found while the program runs; Pulumi shows its message without a traceback."""


@dataclass(frozen=True)
class InputError:
    """One invalid input: the property name and a message that names the value and the fix."""

    property: str
    reason: str


def is_unknown(value: Any) -> bool:
    """Return whether the engine has not resolved this input yet (preview of a new Output)."""
    return isinstance(value, str) and value == UNKNOWN


def validate_domain_name(value: Any) -> InputError | None:
    """Check a domain name against the API's length and pattern constraints."""
    if value is None or value == "":
        return InputError(
            "domain_name", "domain_name is required: set it to the name of an existing domain"
        )
    if not isinstance(value, str):
        return InputError(
            "domain_name",
            f"domain_name must be a string, got {type(value).__name__} {value!r}",
        )
    if not DOMAIN_NAME_MIN_LENGTH <= len(value) <= DOMAIN_NAME_MAX_LENGTH:
        return InputError(
            "domain_name",
            f"domain_name {value!r} is {len(value)} characters long; OpenSearch domain names "
            f"are {DOMAIN_NAME_MIN_LENGTH} to {DOMAIN_NAME_MAX_LENGTH} characters",
        )
    if not DOMAIN_NAME_PATTERN.fullmatch(value):
        return InputError(
            "domain_name",
            f"domain_name {value!r} is invalid: it must start with a lowercase letter and "
            "contain only lowercase letters, digits and hyphens",
        )
    return None


def to_epoch_milliseconds(value: Any) -> int:
    """Convert a start time to epoch milliseconds, the unit the API's DesiredStartTime uses.

    Accepts an int of epoch milliseconds, an ISO-8601 string with a UTC offset, or a
    timezone-aware datetime. Raises ValueError with a message that names the value and
    the fix; it does not check whether the time is in the past.
    """
    if isinstance(value, bool):
        raise ValueError(f"desired_start_time must be a time, got the boolean {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if value < _MIN_EPOCH_MILLISECONDS:
            hint = (
                f"; if it is epoch seconds, use {value * 1000}"
                if value >= _MIN_EPOCH_MILLISECONDS // 1000
                else ""
            )
            raise ValueError(
                f"desired_start_time {value} is too small for epoch milliseconds{hint}"
            )
        if value >= _END_EPOCH_MILLISECONDS:
            hint = (
                f"; if it is epoch microseconds, use {value // 1000}"
                if value // 1000 >= _MIN_EPOCH_MILLISECONDS
                else ""
            )
            raise ValueError(
                f"desired_start_time {value} is too large for epoch milliseconds: it falls "
                f"after the year 9999{hint}"
            )
        return value
    if isinstance(value, dt.datetime):
        return _datetime_to_milliseconds(value, repr(value))
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return to_epoch_milliseconds(int(text))
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"desired_start_time {value!r} is not an ISO-8601 time; write it like "
                "'2026-12-05T22:00:00Z' or '2026-12-05T23:00:00+01:00'"
            ) from None
        return _datetime_to_milliseconds(parsed, repr(value))
    raise ValueError(
        f"desired_start_time must be epoch milliseconds (int), an ISO-8601 string with a UTC "
        f"offset, or a timezone-aware datetime; got {type(value).__name__} {value!r}"
    )


def _datetime_to_milliseconds(value: dt.datetime, shown: str) -> int:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"desired_start_time {shown} has no UTC offset, so its moment is ambiguous; "
            "add one, for example '+00:00' or 'Z'"
        )
    return int(value.timestamp() * 1000)


def normalize_epoch_milliseconds(value: float) -> int:
    """Return an epoch time in milliseconds, reading values below 10**12 as epoch seconds."""
    if value < _MIN_EPOCH_MILLISECONDS:
        return int(value * 1000)
    return int(value)


def _display_value(value: Any) -> str:
    # Stack config numbers reach the provider as floats; show 1780000000000.0 as written.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def format_epoch_milliseconds(value: int) -> str:
    """Format epoch milliseconds as an ISO-8601 UTC string such as 2026-12-05T22:00:00Z."""
    moment = dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def normalize_schedule(
    news: dict[str, Any],
    olds: dict[str, Any],
    now_milliseconds: int,
) -> tuple[dict[str, Any], list[InputError]]:
    """Validate schedule_at and desired_start_time and return them normalized.

    The returned dict contains ``schedule_at`` (one of SCHEDULE_VALUES) and
    ``desired_start_time`` (epoch milliseconds or None). Without schedule_at, a
    desired_start_time means TIMESTAMP and its absence means NOW, as in the API.
    A start time in the past is rejected only when it differs from the one already in
    state (``olds``), because an update applied last month keeps its past start time.
    Unknown values pass through unchecked; the engine checks again once they resolve.
    """
    schedule_at = news.get("schedule_at")
    desired = news.get("desired_start_time")
    errors: list[InputError] = []

    if is_unknown(schedule_at) or is_unknown(desired):
        return {"schedule_at": schedule_at, "desired_start_time": desired}, errors

    if schedule_at is not None:
        if not isinstance(schedule_at, str) or schedule_at.upper() not in SCHEDULE_VALUES:
            errors.append(
                InputError(
                    "schedule_at",
                    f"schedule_at {schedule_at!r} is invalid; use one of "
                    f"{', '.join(SCHEDULE_VALUES)}",
                )
            )
            schedule_at = None
        else:
            schedule_at = schedule_at.upper()

    desired_ms: int | None = None
    if desired is not None:
        try:
            desired_ms = to_epoch_milliseconds(desired)
        except ValueError as exc:
            errors.append(InputError("desired_start_time", str(exc)))

    if schedule_at is None and not errors:
        schedule_at = SCHEDULE_TIMESTAMP if desired is not None else SCHEDULE_NOW

    if schedule_at == SCHEDULE_TIMESTAMP and desired is None:
        errors.append(
            InputError(
                "desired_start_time",
                "schedule_at is TIMESTAMP but desired_start_time is missing; set "
                "desired_start_time (epoch milliseconds or an ISO-8601 time with offset) or "
                "use schedule_at NOW or OFF_PEAK_WINDOW",
            )
        )
    if schedule_at in (SCHEDULE_NOW, SCHEDULE_OFF_PEAK_WINDOW) and desired is not None:
        errors.append(
            InputError(
                "desired_start_time",
                f"desired_start_time {_display_value(desired)} is set but schedule_at is "
                f"{schedule_at}, which ignores it; remove desired_start_time or set "
                "schedule_at to TIMESTAMP",
            )
        )

    changed = desired_ms != olds.get("desired_start_time")
    if desired_ms is not None and changed and desired_ms <= now_milliseconds:
        errors.append(
            InputError(
                "desired_start_time",
                f"desired_start_time {_display_value(desired)} "
                f"({format_epoch_milliseconds(desired_ms)}) is in the past; pick a future "
                "time or use schedule_at NOW",
            )
        )

    return {"schedule_at": schedule_at, "desired_start_time": desired_ms}, errors


# Minutes. AWS does not publish how long an update runs, so two hours is an estimate for
# typical domains. A timeout leaves the update running, and the next `up` adopts it.
DEFAULT_COMPLETION_TIMEOUT_MINUTES = 120.0
MAX_COMPLETION_TIMEOUT_MINUTES = 24 * 60.0

ROLE_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
PROFILE_PATTERN = re.compile(r"[\w+=,.@:/-]{1,128}")


def validate_options(news: dict[str, Any]) -> list[InputError]:
    """Check the optional inputs other than the schedule: flags, timeout, profile, role."""
    errors: list[InputError] = []
    for flag in ("wait_for_completion", "cancel_on_delete"):
        value = news.get(flag)
        if value is not None and not is_unknown(value) and not isinstance(value, bool):
            errors.append(
                InputError(
                    flag, f"{flag} must be true or false, got {type(value).__name__} {value!r}"
                )
            )

    timeout = news.get("completion_timeout")
    if timeout is not None and not is_unknown(timeout):
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            errors.append(
                InputError(
                    "completion_timeout",
                    f"completion_timeout must be a number of minutes, got "
                    f"{type(timeout).__name__} {timeout!r}",
                )
            )
        elif not 0 < timeout <= MAX_COMPLETION_TIMEOUT_MINUTES:
            errors.append(
                InputError(
                    "completion_timeout",
                    f"completion_timeout {timeout:g} minutes is out of range; use more than 0 "
                    f"and at most {MAX_COMPLETION_TIMEOUT_MINUTES:g} (24 hours)",
                )
            )

    profile = news.get("profile")
    if (
        profile is not None
        and not is_unknown(profile)
        and (not isinstance(profile, str) or not PROFILE_PATTERN.fullmatch(profile))
    ):
        errors.append(
            InputError(
                "profile",
                f"profile {profile!r} is not a profile name from the AWS config file; "
                "leave it unset to use aws:profile or the default credential chain",
            )
        )

    role_arn = news.get("role_arn")
    if (
        role_arn is not None
        and not is_unknown(role_arn)
        and (not isinstance(role_arn, str) or not ROLE_ARN_PATTERN.fullmatch(role_arn))
    ):
        errors.append(
            InputError(
                "role_arn",
                f"role_arn {role_arn!r} is not an IAM role ARN; write it like "
                "'arn:aws:iam::123456789012:role/opensearch-updates'",
            )
        )
    return errors
