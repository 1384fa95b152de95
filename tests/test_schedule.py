"""Offline input validation: what `pulumi preview` rejects before any AWS call."""

from __future__ import annotations

import datetime as dt

import pytest

from components.opensearch.schedule import (
    UNKNOWN,
    format_epoch_milliseconds,
    normalize_schedule,
    to_epoch_milliseconds,
    validate_domain_name,
)

NOW_MS = 1_780_000_000_000  # 2026-05-28T20:26:40Z
FUTURE_MS = NOW_MS + 3_600_000


@pytest.mark.parametrize("name", ["abc", "logs-prod", "a" + "b" * 27, "x1-2-3"])
def test_domain_name_valid(name: str) -> None:
    assert validate_domain_name(name) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        (None, "domain_name is required"),
        ("", "domain_name is required"),
        ("ab", "2 characters long"),
        ("a" * 29, "29 characters long"),
        ("Logs-prod", "must start with a lowercase letter"),
        ("logs_prod", "only lowercase letters, digits and hyphens"),
        ("1logs", "must start with a lowercase letter"),
        (42, "must be a string, got int"),
    ],
)
def test_domain_name_invalid(name: object, fragment: str) -> None:
    error = validate_domain_name(name)
    assert error is not None
    assert error.property == "domain_name"
    assert fragment in error.reason


def test_epoch_milliseconds_passthrough() -> None:
    assert to_epoch_milliseconds(FUTURE_MS) == FUTURE_MS


def test_epoch_seconds_rejected_with_hint() -> None:
    with pytest.raises(ValueError, match=r"if it is epoch seconds, use 1780003600000"):
        to_epoch_milliseconds(1_780_003_600)


def test_epoch_microseconds_rejected_with_hint() -> None:
    with pytest.raises(ValueError, match=r"if it is epoch microseconds, use 1780003600000"):
        to_epoch_milliseconds(1_780_003_600_000_000)


def test_time_after_year_9999_rejected() -> None:
    with pytest.raises(ValueError, match=r"253402300800000 is too large .* after the year 9999$"):
        to_epoch_milliseconds(253_402_300_800_000)
    assert to_epoch_milliseconds(253_402_300_799_999) == 253_402_300_799_999


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-28T21:26:40Z", FUTURE_MS),
        ("2026-05-28T23:26:40+02:00", FUTURE_MS),
        (str(FUTURE_MS), FUTURE_MS),
    ],
)
def test_iso_strings_converted(text: str, expected: int) -> None:
    assert to_epoch_milliseconds(text) == expected


def test_aware_datetime_converted() -> None:
    moment = dt.datetime(2026, 5, 28, 21, 26, 40, tzinfo=dt.UTC)
    assert to_epoch_milliseconds(moment) == FUTURE_MS


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2026-05-28T21:26:40", "has no UTC offset"),
        (dt.datetime(2026, 5, 28, 21, 26, 40), "has no UTC offset"),
        ("tomorrow", "is not an ISO-8601 time"),
        (True, "got the boolean"),
        ([1], "got list"),
    ],
)
def test_bad_times_rejected(value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        to_epoch_milliseconds(value)


def test_format_epoch_milliseconds() -> None:
    assert format_epoch_milliseconds(FUTURE_MS) == "2026-05-28T21:26:40Z"


def test_schedule_defaults_to_now() -> None:
    schedule, errors = normalize_schedule({}, {}, NOW_MS)
    assert errors == []
    assert schedule == {"schedule_at": "NOW", "desired_start_time": None}


def test_desired_start_implies_timestamp() -> None:
    schedule, errors = normalize_schedule(
        {"desired_start_time": "2026-05-28T21:26:40Z"}, {}, NOW_MS
    )
    assert errors == []
    assert schedule == {"schedule_at": "TIMESTAMP", "desired_start_time": FUTURE_MS}


def test_schedule_value_uppercased() -> None:
    schedule, errors = normalize_schedule({"schedule_at": "off_peak_window"}, {}, NOW_MS)
    assert errors == []
    assert schedule["schedule_at"] == "OFF_PEAK_WINDOW"


@pytest.mark.parametrize(
    ("news", "field", "fragment"),
    [
        ({"schedule_at": "LATER"}, "schedule_at", "use one of NOW, TIMESTAMP, OFF_PEAK_WINDOW"),
        ({"schedule_at": "TIMESTAMP"}, "desired_start_time", "desired_start_time is missing"),
        (
            {"schedule_at": "NOW", "desired_start_time": FUTURE_MS},
            "desired_start_time",
            "set schedule_at to TIMESTAMP",
        ),
        (
            {"schedule_at": "OFF_PEAK_WINDOW", "desired_start_time": FUTURE_MS},
            "desired_start_time",
            "which ignores it",
        ),
        ({"desired_start_time": NOW_MS - 1}, "desired_start_time", "is in the past"),
        ({"desired_start_time": 1_780_003_600}, "desired_start_time", "epoch seconds"),
    ],
)
def test_schedule_invalid(news: dict[str, object], field: str, fragment: str) -> None:
    _, errors = normalize_schedule(news, {}, NOW_MS)
    assert [error.property for error in errors] == [field]
    assert fragment in errors[0].reason


def test_past_start_kept_when_unchanged() -> None:
    """An update applied in the past keeps its start time without failing later previews."""
    past = NOW_MS - 86_400_000
    olds = {"schedule_at": "TIMESTAMP", "desired_start_time": past}
    _, errors = normalize_schedule({"desired_start_time": past}, olds, NOW_MS)
    assert errors == []


def test_unknown_values_pass_unchecked() -> None:
    schedule, errors = normalize_schedule({"desired_start_time": UNKNOWN}, {}, NOW_MS)
    assert errors == []
    assert schedule["desired_start_time"] == UNKNOWN
