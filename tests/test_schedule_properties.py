"""Property-based tests of input validation and time conversion, with hypothesis."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.opensearch.schedule import (
    DOMAIN_NAME_MAX_LENGTH,
    DOMAIN_NAME_MIN_LENGTH,
    format_epoch_milliseconds,
    normalize_epoch_milliseconds,
    normalize_schedule,
    to_epoch_milliseconds,
    validate_domain_name,
)

NOW_MS = 1_780_000_000_000  # 2026-05-28T20:26:40Z
# Whole seconds from just after NOW_MS to the year 2100, in epoch milliseconds.
FUTURE_MS = st.integers(min_value=NOW_MS // 1000 + 1, max_value=4_102_444_800).map(
    lambda seconds: seconds * 1000
)
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)

valid_names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(string.ascii_lowercase),
    st.text(
        alphabet=string.ascii_lowercase + string.digits + "-",
        min_size=DOMAIN_NAME_MIN_LENGTH - 1,
        max_size=DOMAIN_NAME_MAX_LENGTH - 1,
    ),
)


@given(valid_names)
def test_valid_domain_names_pass(name: str) -> None:
    assert validate_domain_name(name) is None


@given(st.text(max_size=40))
def test_invalid_domain_names_name_the_field(name: str) -> None:
    error = validate_domain_name(name)
    valid = (
        DOMAIN_NAME_MIN_LENGTH <= len(name) <= DOMAIN_NAME_MAX_LENGTH
        and name[:1] in string.ascii_lowercase
        and all(ch in string.ascii_lowercase + string.digits + "-" for ch in name)
    )
    assert (error is None) == valid
    if error is not None:
        assert error.property == "domain_name"


@given(FUTURE_MS)
def test_milliseconds_round_trip_through_iso(milliseconds: int) -> None:
    text = format_epoch_milliseconds(milliseconds)
    assert text.endswith("Z")
    assert to_epoch_milliseconds(text) == milliseconds


@given(FUTURE_MS, OFFSETS)
def test_any_offset_gives_the_same_moment(milliseconds: int, offset: dt.timezone) -> None:
    moment = dt.datetime.fromtimestamp(milliseconds / 1000, tz=offset)
    assert to_epoch_milliseconds(moment) == milliseconds
    assert to_epoch_milliseconds(moment.isoformat()) == milliseconds


@given(st.integers(min_value=1_000_000_000, max_value=999_999_999_999))
def test_epoch_seconds_rejected_with_milliseconds_hint(seconds: int) -> None:
    with pytest.raises(ValueError, match=f"use {seconds * 1000}"):
        to_epoch_milliseconds(seconds)


@given(st.integers(min_value=1, max_value=4_102_444_800_000))
def test_scheduled_time_normalized_by_magnitude(value: int) -> None:
    normalized = normalize_epoch_milliseconds(value)
    assert normalized >= 1_000_000_000_000 or value < 1_000_000_000
    assert normalized in (value, value * 1000)


@given(FUTURE_MS)
def test_future_time_implies_timestamp(milliseconds: int) -> None:
    schedule, errors = normalize_schedule({"desired_start_time": milliseconds}, {}, NOW_MS)
    assert errors == []
    assert schedule == {"schedule_at": "TIMESTAMP", "desired_start_time": milliseconds}


@given(st.integers(min_value=1_000_000_000_000, max_value=NOW_MS))
def test_past_time_rejected_only_when_changed(milliseconds: int) -> None:
    _, errors = normalize_schedule({"desired_start_time": milliseconds}, {}, NOW_MS)
    assert [error.property for error in errors] == ["desired_start_time"]

    olds = {"desired_start_time": milliseconds}
    _, unchanged = normalize_schedule({"desired_start_time": milliseconds}, olds, NOW_MS)
    assert unchanged == []


@given(st.sampled_from(["NOW", "OFF_PEAK_WINDOW"]), FUTURE_MS)
def test_time_with_other_schedules_rejected(schedule_at: str, milliseconds: int) -> None:
    news = {"schedule_at": schedule_at, "desired_start_time": milliseconds}
    _, errors = normalize_schedule(news, {}, NOW_MS)
    assert [error.property for error in errors] == ["desired_start_time"]


@given(
    st.text(max_size=20).filter(lambda v: v.upper() not in ("NOW", "TIMESTAMP", "OFF_PEAK_WINDOW"))
)
def test_unknown_schedule_values_rejected(value: str) -> None:
    _, errors = normalize_schedule({"schedule_at": value}, {}, NOW_MS)
    assert [error.property for error in errors] == ["schedule_at"]
