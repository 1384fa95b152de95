"""Behaviour of the OpenSearch Service emulator, through a live server and real boto3 clients."""

from __future__ import annotations

import datetime
import json
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_fixtures import control_call
from mypy_boto3_opensearch.client import OpenSearchServiceClient

from emulator import MUTATING_OPERATIONS, EmulatorClient, EmulatorError, EmulatorServer, operations
from emulator.clock import EmulatedClock

pytest_plugins = ["emulator_fixtures"]

OpenSearchFactory = Callable[..., OpenSearchServiceClient]

DAY = 86400.0
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def emulator(clean_emulator: EmulatorClient) -> EmulatorClient:
    return clean_emulator


def assert_client_error(
    error: pytest.ExceptionInfo[ClientError], code: str, status: int, message: str
) -> None:
    """Check the code, HTTP status and message that botocore parsed from an error response."""
    response: Any = error.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["Error"]["Message"] == message


def software_options(opensearch: OpenSearchServiceClient, name: str) -> dict[str, Any]:
    status = opensearch.describe_domain(DomainName=name)["DomainStatus"]
    options: dict[str, Any] = dict(status["ServiceSoftwareOptions"])
    return options


def iso(epoch_seconds: float) -> str:
    return datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


# Clock


def test_clock_frozen_at_speed_zero() -> None:
    clock = EmulatedClock(speed=0.0, start=1000.0)
    time.sleep(0.01)
    assert clock.now() == 1000.0
    assert clock.advance(30) == 1030.0
    assert clock.now() == 1030.0


def test_clock_runs_at_speed() -> None:
    clock = EmulatedClock(speed=1000.0, start=0.0)
    time.sleep(0.05)
    assert clock.now() >= 50.0


def test_clock_rejects_going_backwards() -> None:
    clock = EmulatedClock()
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)


def test_clock_control_endpoints(emulator: EmulatorClient) -> None:
    before = emulator.now()
    assert emulator.advance(90) == pytest.approx(before + 90)
    assert emulator.now() == pytest.approx(before + 90)
    emulator.set_speed(0)
    assert emulator.health() is True


# Seeding and DescribeDomain


def test_seeded_update_in_describe_domain(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    deadline = round(emulator.now() + 7 * DAY)
    seeded = emulator.seed_domain(
        "alpha",
        current_version="R20240101-P1",
        new_version="R20250403-P5",
        optional_deployment=False,
        automated_update_date=deadline,
        off_peak_start_hours=22,
        off_peak_start_minutes=30,
    )
    assert seeded["DomainName"] == "alpha"
    assert seeded["ServiceSoftwareOptions"]["UpdateStatus"] == "ELIGIBLE"

    status = opensearch.describe_domain(DomainName="alpha")["DomainStatus"]
    options = status["ServiceSoftwareOptions"]
    assert options["CurrentVersion"] == "R20240101-P1"
    assert options["NewVersion"] == "R20250403-P5"
    assert options["UpdateAvailable"] is True
    assert options["UpdateStatus"] == "ELIGIBLE"
    assert options["Cancellable"] is False
    assert options["OptionalDeployment"] is False
    assert options["AutomatedUpdateDate"].timestamp() == deadline
    assert options["Description"] == (
        f"Required update R20250403-P5 is available. Start it by {iso(deadline)}, "
        "or it is applied automatically after that date."
    )
    assert status["SoftwareUpdateOptions"] == {"AutoSoftwareUpdateEnabled": False}
    assert status["OffPeakWindowOptions"] == {
        "Enabled": True,
        "OffPeakWindow": {"WindowStartTime": {"Hours": 22, "Minutes": 30}},
    }
    assert status["DomainProcessingStatus"] == "Active"


def test_up_to_date_domain_reports_completed(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("current", current_version="R20250403-P5")
    options = software_options(opensearch, "current")
    assert options["UpdateStatus"] == "COMPLETED"
    assert options["UpdateAvailable"] is False
    assert options["NewVersion"] == ""
    assert options["CurrentVersion"] == "R20250403-P5"
    assert options["Cancellable"] is False
    assert options["AutomatedUpdateDate"].timestamp() == 0


def test_seed_pending_update_by_system(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    start = round(emulator.now() + 3600)
    emulator.seed_domain(
        "seeded", new_version="R2", update_status="PENDING_UPDATE", scheduled_start=start
    )
    options = software_options(opensearch, "seeded")
    assert options["UpdateStatus"] == "PENDING_UPDATE"
    assert options["Cancellable"] is True
    actions = opensearch.list_scheduled_actions(DomainName="seeded")["ScheduledActions"]
    assert len(actions) == 1
    assert actions[0]["ScheduledBy"] == "SYSTEM"
    assert actions[0]["ScheduledTime"] == start * 1000


def test_seed_not_eligible(emulator: EmulatorClient, opensearch: OpenSearchServiceClient) -> None:
    emulator.seed_domain("blocked", new_version="R2", update_status="NOT_ELIGIBLE")
    options = software_options(opensearch, "blocked")
    assert options["UpdateStatus"] == "NOT_ELIGIBLE"
    assert options["UpdateAvailable"] is False
    assert options["NewVersion"] == "R2"


def test_seed_again_replaces_software_only(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    first = emulator.seed_domain("again", new_version="R2")
    second = emulator.seed_domain("again", current_version="R9")
    assert second["ARN"] == first["ARN"]
    options = software_options(opensearch, "again")
    assert options["CurrentVersion"] == "R9"
    assert options["UpdateStatus"] == "COMPLETED"


def test_describe_domains_skips_unknown(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("one", new_version="R2")
    emulator.seed_domain("two")
    statuses = opensearch.describe_domains(DomainNames=["one", "ghost", "two"])["DomainStatusList"]
    assert [status["DomainName"] for status in statuses] == ["one", "two"]
    assert statuses[0]["ServiceSoftwareOptions"]["UpdateStatus"] == "ELIGIBLE"
    assert statuses[1]["ServiceSoftwareOptions"]["UpdateStatus"] == "COMPLETED"


def test_domains_are_per_region(
    emulator: EmulatorClient, emulator_server: EmulatorServer, opensearch_factory: OpenSearchFactory
) -> None:
    emulator.seed_domain("europe", region="eu-west-1", new_version="R2")
    east = opensearch_factory(emulator_server.url, "us-east-1")
    west = opensearch_factory(emulator_server.url, "eu-west-1")
    with pytest.raises(ClientError) as error:
        east.describe_domain(DomainName="europe")
    assert_client_error(error, "ResourceNotFoundException", 409, "Domain not found: europe")
    options = west.describe_domain(DomainName="europe")["DomainStatus"]["ServiceSoftwareOptions"]
    assert options["NewVersion"] == "R2"


# StartServiceSoftwareUpdate and the clock-driven timeline


def test_start_now_runs_to_completion(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", current_version="R1", new_version="R2")
    now = emulator.now()

    started = opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="NOW")
    options = started["ServiceSoftwareOptions"]
    assert options["UpdateStatus"] == "PENDING_UPDATE"
    assert options["Cancellable"] is True
    actions = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"]
    assert actions[0]["ScheduledTime"] == round((now + 60) * 1000)
    assert actions[0]["ScheduledBy"] == "CUSTOMER"

    emulator.advance(59.5)
    assert software_options(opensearch, "alpha")["UpdateStatus"] == "PENDING_UPDATE"

    emulator.advance(1)
    status = opensearch.describe_domain(DomainName="alpha")["DomainStatus"]
    assert status["ServiceSoftwareOptions"]["UpdateStatus"] == "IN_PROGRESS"
    assert status["ServiceSoftwareOptions"]["Cancellable"] is False
    assert status["DomainProcessingStatus"] == "UpdatingServiceSoftware"
    assert status["Processing"] is True
    actions = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"]
    assert actions[0]["Status"] == "IN_PROGRESS"

    emulator.advance(600)
    status = opensearch.describe_domain(DomainName="alpha")["DomainStatus"]
    options = status["ServiceSoftwareOptions"]
    assert options["UpdateStatus"] == "COMPLETED"
    assert options["CurrentVersion"] == "R2"
    assert options["NewVersion"] == ""
    assert options["UpdateAvailable"] is False
    assert status["DomainProcessingStatus"] == "Active"
    assert opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"] == []


def test_start_without_schedule_at_means_now(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    now = emulator.now()
    opensearch.start_service_software_update(DomainName="alpha")
    action = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"][0]
    assert action["ScheduledTime"] == round((now + 60) * 1000)


def test_start_timestamp_waits_for_time(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    desired = round((emulator.now() + 2 * 3600) * 1000)

    options = opensearch.start_service_software_update(
        DomainName="alpha", ScheduleAt="TIMESTAMP", DesiredStartTime=desired
    )["ServiceSoftwareOptions"]
    assert options["UpdateStatus"] == "PENDING_UPDATE"
    assert options["Description"] == f"Update R2 is scheduled to start at {iso(desired / 1000)}."
    action = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"][0]
    assert action["ScheduledTime"] == desired

    emulator.advance(2 * 3600 - 1)
    assert software_options(opensearch, "alpha")["UpdateStatus"] == "PENDING_UPDATE"
    emulator.advance(2)
    assert software_options(opensearch, "alpha")["UpdateStatus"] == "IN_PROGRESS"


def test_desired_start_time_implies_timestamp(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    desired = round((emulator.now() + 3600) * 1000)
    opensearch.start_service_software_update(DomainName="alpha", DesiredStartTime=desired)
    action = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"][0]
    assert action["ScheduledTime"] == desired


def expected_window_start(now: float, hours: int, minutes: int) -> float:
    today = datetime.datetime.fromtimestamp(now, tz=datetime.UTC).date()
    for day in (today, today + datetime.timedelta(days=1)):
        moment = datetime.datetime(
            day.year, day.month, day.day, hours, minutes, tzinfo=datetime.UTC
        ).timestamp()
        if moment >= now:
            return moment
    raise AssertionError("no window start within a day")


@pytest.mark.parametrize(("hours", "minutes"), [(3, 30), (23, 59), (0, 0)])
def test_start_off_peak_window(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient, hours: int, minutes: int
) -> None:
    emulator.seed_domain(
        "alpha", new_version="R2", off_peak_start_hours=hours, off_peak_start_minutes=minutes
    )
    now = emulator.now()
    options = opensearch.start_service_software_update(
        DomainName="alpha", ScheduleAt="OFF_PEAK_WINDOW"
    )["ServiceSoftwareOptions"]
    assert options["UpdateStatus"] == "PENDING_UPDATE"
    action = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"][0]
    expected = expected_window_start(now, hours, minutes)
    assert action["ScheduledTime"] == round(expected * 1000)
    assert now <= expected < now + DAY


def test_required_update_applied_after_deadline(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    deadline = round(emulator.now() + DAY)
    emulator.seed_domain(
        "alpha",
        current_version="R1",
        new_version="R2",
        optional_deployment=False,
        automated_update_date=deadline,
    )
    emulator.advance(DAY + 1)
    options = software_options(opensearch, "alpha")
    assert options["UpdateStatus"] == "IN_PROGRESS"
    action = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"][0]
    assert action["ScheduledBy"] == "SYSTEM"
    assert action["Severity"] == "HIGH"
    assert action["Mandatory"] is True

    emulator.advance(600)
    assert software_options(opensearch, "alpha")["CurrentVersion"] == "R2"


def test_settings_change_durations(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    settings = emulator.settings(in_progress_seconds=30, pending_seconds=5)
    assert settings == {
        "scheduled_time_unit": "milliseconds",
        "in_progress_seconds": 30,
        "pending_seconds": 5,
    }
    emulator.seed_domain("alpha", current_version="R1", new_version="R2")
    opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="NOW")
    emulator.advance(5.5)
    assert software_options(opensearch, "alpha")["UpdateStatus"] == "IN_PROGRESS"
    emulator.advance(30)
    assert software_options(opensearch, "alpha")["CurrentVersion"] == "R2"


# StartServiceSoftwareUpdate errors


def test_start_timestamp_needs_desired_time(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="TIMESTAMP")
    assert_client_error(
        error,
        "ValidationException",
        400,
        "ScheduleAt is TIMESTAMP, so DesiredStartTime (epoch milliseconds) is required.",
    )


def test_start_rejects_past_time(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    now = emulator.now()
    past = round((now - 60) * 1000)
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(
            DomainName="alpha", ScheduleAt="TIMESTAMP", DesiredStartTime=past
        )
    assert_client_error(
        error,
        "ValidationException",
        400,
        f"DesiredStartTime {past} ({iso(past / 1000)}) is in the past. "
        f"The current time is {iso(now)}; give a future time in epoch milliseconds.",
    )


def test_start_rejects_seconds_as_milliseconds(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    seconds = round(emulator.now() + 3600)
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(
            DomainName="alpha", ScheduleAt="TIMESTAMP", DesiredStartTime=seconds
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "is in the past" in error.value.response["Error"]["Message"]


@pytest.mark.parametrize("schedule_at", ["NOW", "OFF_PEAK_WINDOW"])
def test_start_rejects_desired_time_without_timestamp(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient, schedule_at: str
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    desired = round((emulator.now() + 3600) * 1000)
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(
            DomainName="alpha",
            ScheduleAt=schedule_at,  # type: ignore[arg-type]
            DesiredStartTime=desired,
        )
    assert_client_error(
        error,
        "ValidationException",
        400,
        f"DesiredStartTime is only valid with ScheduleAt TIMESTAMP, not {schedule_at}.",
    )


def test_start_off_peak_needs_enabled_window(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2", off_peak_window_enabled=False)
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="OFF_PEAK_WINDOW")
    assert_client_error(
        error,
        "ValidationException",
        400,
        "Domain alpha has its off-peak window disabled, so ScheduleAt OFF_PEAK_WINDOW "
        "cannot be used. Use NOW or TIMESTAMP instead.",
    )


def test_start_rejects_unknown_schedule_at(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(
            DomainName="alpha",
            ScheduleAt="SOON",  # type: ignore[arg-type]
        )
    assert_client_error(
        error,
        "ValidationException",
        400,
        "Invalid ScheduleAt 'SOON': use one of NOW, TIMESTAMP, OFF_PEAK_WINDOW.",
    )


def test_start_without_update_fails(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", current_version="R1")
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha")
    assert_client_error(
        error,
        "BaseException",
        400,
        "Domain alpha has no service software update available. It already runs R1.",
    )


def test_start_twice_fails(emulator: EmulatorClient, opensearch: OpenSearchServiceClient) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    now = emulator.now()
    opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="NOW")
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="NOW")
    assert_client_error(
        error,
        "BaseException",
        400,
        f"Update R2 for domain alpha is already scheduled for {iso(now + 60)}. "
        "Use UpdateScheduledAction to move it.",
    )


def test_start_while_in_progress_fails(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="IN_PROGRESS")
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha")
    assert_client_error(
        error, "BaseException", 400, "Update R2 for domain alpha is already in progress."
    )


def test_start_not_eligible_fails(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="NOT_ELIGIBLE")
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha")
    assert_client_error(
        error, "BaseException", 400, "Domain alpha is not eligible for update R2 at this time."
    )


@pytest.mark.usefixtures("clean_emulator")
def test_start_unknown_domain(opensearch: OpenSearchServiceClient) -> None:
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="ghost")
    assert_client_error(error, "ResourceNotFoundException", 409, "Domain not found: ghost")


@pytest.mark.parametrize("name", ["ab", "Alpha", "1alpha", "al_pha", "a" * 29])
@pytest.mark.usefixtures("clean_emulator")
def test_start_rejects_bad_domain_name(
    unvalidated_opensearch: OpenSearchServiceClient, name: str
) -> None:
    with pytest.raises(ClientError) as error:
        unvalidated_opensearch.start_service_software_update(DomainName=name)
    assert_client_error(
        error,
        "ValidationException",
        400,
        f"Invalid DomainName {name!r}: a domain name has 3 to 28 characters, starts with "
        "a lowercase letter, and contains only lowercase letters, digits and hyphens.",
    )


def test_start_required_update_after_deadline_fails(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    deadline = round(emulator.now() + DAY)
    emulator.seed_domain(
        "alpha", new_version="R2", optional_deployment=False, automated_update_date=deadline
    )
    late = deadline + 3600
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(
            DomainName="alpha", ScheduleAt="TIMESTAMP", DesiredStartTime=late * 1000
        )
    assert_client_error(
        error,
        "ValidationException",
        400,
        f"Update R2 is required by {iso(deadline)}, so it cannot start at {iso(late)}. "
        "Choose a start time before that date.",
    )


# ListScheduledActions


def test_list_scheduled_actions_fields(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R20250403-P5")
    assert opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"] == []
    desired = round((emulator.now() + 3600) * 1000)
    opensearch.start_service_software_update(DomainName="alpha", DesiredStartTime=desired)

    response = opensearch.list_scheduled_actions(DomainName="alpha")
    assert response["ScheduledActions"] == [
        {
            "Id": "R20250403-P5",
            "Type": "SERVICE_SOFTWARE_UPDATE",
            "Severity": "MEDIUM",
            "ScheduledTime": desired,
            "Description": "Optional service software update to R20250403-P5.",
            "ScheduledBy": "CUSTOMER",
            "Status": "PENDING_UPDATE",
            "Mandatory": False,
            "Cancellable": True,
        }
    ]
    assert "NextToken" not in response


def test_list_scheduled_time_in_seconds(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.settings(scheduled_time_unit="seconds")
    emulator.seed_domain("alpha", new_version="R2")
    desired_seconds = round(emulator.now() + 3600)
    opensearch.start_service_software_update(
        DomainName="alpha", DesiredStartTime=desired_seconds * 1000
    )
    action = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"][0]
    assert action["ScheduledTime"] == desired_seconds

    emulator.settings(scheduled_time_unit="milliseconds")
    action = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"][0]
    assert action["ScheduledTime"] == desired_seconds * 1000


def test_list_scheduled_actions_paging(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="IN_PROGRESS")
    response = opensearch.list_scheduled_actions(DomainName="alpha", MaxResults=1)
    assert [action["Id"] for action in response["ScheduledActions"]] == ["R2"]
    assert "NextToken" not in response


def test_list_rejects_bad_next_token(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    with pytest.raises(ClientError) as error:
        opensearch.list_scheduled_actions(DomainName="alpha", NextToken="garbage")
    assert_client_error(
        error,
        "InvalidPaginationTokenException",
        400,
        "Invalid NextToken 'garbage': pass the NextToken of the previous response unchanged.",
    )


@pytest.mark.parametrize("max_results", [0, 101])
def test_list_rejects_bad_max_results(
    emulator: EmulatorClient, unvalidated_opensearch: OpenSearchServiceClient, max_results: int
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    with pytest.raises(ClientError) as error:
        unvalidated_opensearch.list_scheduled_actions(DomainName="alpha", MaxResults=max_results)
    assert_client_error(
        error,
        "ValidationException",
        400,
        f"Invalid maxResults {max_results}: it must be an integer from 1 to 100.",
    )


@pytest.mark.usefixtures("clean_emulator")
def test_list_unknown_domain(opensearch: OpenSearchServiceClient) -> None:
    with pytest.raises(ClientError) as error:
        opensearch.list_scheduled_actions(DomainName="ghost")
    assert_client_error(error, "ResourceNotFoundException", 409, "Domain not found: ghost")


# UpdateScheduledAction


def schedule_update(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient, **seed: Any
) -> int:
    """Seed domain "alpha" with update R2 and start it in one hour. Return the start in ms."""
    emulator.seed_domain("alpha", new_version="R2", **seed)
    start = round((emulator.now() + 3600) * 1000)
    opensearch.start_service_software_update(DomainName="alpha", DesiredStartTime=start)
    return start


def test_update_scheduled_action_moves_start(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain(
        "alpha",
        new_version="R2",
        update_status="PENDING_UPDATE",
        scheduled_start=round(emulator.now() + 3600),
    )
    later = round((emulator.now() + 5 * 3600) * 1000)
    action = opensearch.update_scheduled_action(
        DomainName="alpha",
        ActionID="R2",
        ActionType="SERVICE_SOFTWARE_UPDATE",
        ScheduleAt="TIMESTAMP",
        DesiredStartTime=later,
    )["ScheduledAction"]
    assert action["ScheduledTime"] == later
    assert action["ScheduledBy"] == "CUSTOMER"
    assert action["Status"] == "PENDING_UPDATE"
    listed = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"]
    assert listed[0]["ScheduledTime"] == later

    emulator.advance(4 * 3600)
    assert software_options(opensearch, "alpha")["UpdateStatus"] == "PENDING_UPDATE"
    emulator.advance(3601)
    assert software_options(opensearch, "alpha")["UpdateStatus"] == "IN_PROGRESS"


def test_update_scheduled_action_now(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    schedule_update(emulator, opensearch)
    now = emulator.now()
    action = opensearch.update_scheduled_action(
        DomainName="alpha", ActionID="R2", ActionType="SERVICE_SOFTWARE_UPDATE", ScheduleAt="NOW"
    )["ScheduledAction"]
    assert action["ScheduledTime"] == round((now + 60) * 1000)


def test_update_scheduled_action_unknown_id(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    schedule_update(emulator, opensearch)
    with pytest.raises(ClientError) as error:
        opensearch.update_scheduled_action(
            DomainName="alpha",
            ActionID="R7",
            ActionType="SERVICE_SOFTWARE_UPDATE",
            ScheduleAt="NOW",
        )
    assert_client_error(
        error,
        "ResourceNotFoundException",
        409,
        "Scheduled action R7 of type SERVICE_SOFTWARE_UPDATE not found for domain alpha.",
    )


def test_update_scheduled_action_in_progress(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="IN_PROGRESS")
    with pytest.raises(ClientError) as error:
        opensearch.update_scheduled_action(
            DomainName="alpha",
            ActionID="R2",
            ActionType="SERVICE_SOFTWARE_UPDATE",
            ScheduleAt="NOW",
        )
    assert_client_error(
        error,
        "ValidationException",
        400,
        "Scheduled action R2 is IN_PROGRESS. Only an action in PENDING_UPDATE can be rescheduled.",
    )


def test_update_scheduled_action_slot_taken(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    start = schedule_update(emulator, opensearch)
    suggestions = [start + 7_200_000, start + 10_800_000]
    emulator.set_slots("alpha", unavailable=True, suggestions=suggestions)
    desired = start + 3_600_000
    with pytest.raises(ClientError) as error:
        opensearch.update_scheduled_action(
            DomainName="alpha",
            ActionID="R2",
            ActionType="SERVICE_SOFTWARE_UPDATE",
            ScheduleAt="TIMESTAMP",
            DesiredStartTime=desired,
        )
    assert_client_error(
        error,
        "SlotNotAvailableException",
        409,
        f"No capacity is available to start action R2 at {iso(desired / 1000)}. "
        "Choose one of the suggested slots.",
    )
    response: Any = error.value.response
    assert response["SlotSuggestions"] == suggestions
    action = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"][0]
    assert action["ScheduledTime"] == start

    emulator.set_slots("alpha", unavailable=False)
    moved = opensearch.update_scheduled_action(
        DomainName="alpha",
        ActionID="R2",
        ActionType="SERVICE_SOFTWARE_UPDATE",
        ScheduleAt="TIMESTAMP",
        DesiredStartTime=suggestions[0],
    )["ScheduledAction"]
    assert moved["ScheduledTime"] == suggestions[0]


def test_slot_suggestions_default_to_later_hours(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    start = schedule_update(emulator, opensearch)
    emulator.set_slots("alpha")
    with pytest.raises(ClientError) as error:
        opensearch.update_scheduled_action(
            DomainName="alpha",
            ActionID="R2",
            ActionType="SERVICE_SOFTWARE_UPDATE",
            ScheduleAt="TIMESTAMP",
            DesiredStartTime=start,
        )
    response: Any = error.value.response
    assert response["SlotSuggestions"] == [start + hours * 3_600_000 for hours in (1, 2, 3)]


def test_update_required_action_past_deadline(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    deadline = round(emulator.now() + DAY)
    schedule_update(emulator, opensearch, optional_deployment=False, automated_update_date=deadline)
    late = deadline + 60
    with pytest.raises(ClientError) as error:
        opensearch.update_scheduled_action(
            DomainName="alpha",
            ActionID="R2",
            ActionType="SERVICE_SOFTWARE_UPDATE",
            ScheduleAt="TIMESTAMP",
            DesiredStartTime=late * 1000,
        )
    assert_client_error(
        error,
        "ValidationException",
        400,
        f"Update R2 is required by {iso(deadline)}, so it cannot start at {iso(late)}. "
        "Choose a start time before that date.",
    )


def test_update_scheduled_action_needs_time(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    schedule_update(emulator, opensearch)
    with pytest.raises(ClientError) as error:
        opensearch.update_scheduled_action(
            DomainName="alpha",
            ActionID="R2",
            ActionType="SERVICE_SOFTWARE_UPDATE",
            ScheduleAt="TIMESTAMP",
        )
    assert_client_error(
        error,
        "ValidationException",
        400,
        "ScheduleAt is TIMESTAMP, so DesiredStartTime (epoch milliseconds) is required.",
    )


# CancelServiceSoftwareUpdate


def test_cancel_pending_optional_update(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    schedule_update(emulator, opensearch)
    options = opensearch.cancel_service_software_update(DomainName="alpha")[
        "ServiceSoftwareOptions"
    ]
    assert options["UpdateStatus"] == "ELIGIBLE"
    assert options["UpdateAvailable"] is True
    assert options["Cancellable"] is False
    assert opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"] == []


def test_cancel_required_update_fails(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    schedule_update(
        emulator,
        opensearch,
        optional_deployment=False,
        automated_update_date=round(emulator.now() + DAY),
    )
    with pytest.raises(ClientError) as error:
        opensearch.cancel_service_software_update(DomainName="alpha")
    assert_client_error(
        error,
        "BaseException",
        400,
        "Update R2 for domain alpha is required and cannot be cancelled.",
    )


def test_cancel_unscheduled_update_fails(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    with pytest.raises(ClientError) as error:
        opensearch.cancel_service_software_update(DomainName="alpha")
    assert_client_error(
        error,
        "BaseException",
        400,
        "Update R2 for domain alpha is not scheduled, so there is nothing to cancel.",
    )


def test_cancel_in_progress_update_fails(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="IN_PROGRESS")
    with pytest.raises(ClientError) as error:
        opensearch.cancel_service_software_update(DomainName="alpha")
    assert_client_error(
        error,
        "BaseException",
        400,
        "Update R2 for domain alpha is already in progress and can no longer be cancelled.",
    )


def test_cancel_without_update_fails(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha")
    with pytest.raises(ClientError) as error:
        opensearch.cancel_service_software_update(DomainName="alpha")
    assert_client_error(
        error, "BaseException", 400, "Domain alpha has no service software update to cancel."
    )


# Domains created, changed or deleted outside the seeding endpoint


def test_out_of_band_delete(emulator: EmulatorClient, opensearch: OpenSearchServiceClient) -> None:
    schedule_update(emulator, opensearch)
    emulator.delete_domain("alpha")
    calls: list[Callable[[], object]] = [
        lambda: opensearch.describe_domain(DomainName="alpha"),
        lambda: opensearch.start_service_software_update(DomainName="alpha"),
        lambda: opensearch.cancel_service_software_update(DomainName="alpha"),
        lambda: opensearch.list_scheduled_actions(DomainName="alpha"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as error:
            call()
        assert_client_error(error, "ResourceNotFoundException", 409, "Domain not found: alpha")

    with pytest.raises(EmulatorError) as control_error:
        emulator.delete_domain("alpha")
    assert control_error.value.status == 404
    assert control_error.value.message == (
        "domain 'alpha' not found in account 123456789012, region us-east-1"
    )


def test_recreated_domain_starts_fresh(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    schedule_update(emulator, opensearch)
    deleted = opensearch.delete_domain(DomainName="alpha")["DomainStatus"]
    assert deleted["ServiceSoftwareOptions"]["UpdateStatus"] == "PENDING_UPDATE"
    assert deleted["DomainProcessingStatus"] == "Deleting"

    created = opensearch.create_domain(DomainName="alpha")["DomainStatus"]
    assert created["ServiceSoftwareOptions"]["UpdateStatus"] == "COMPLETED"
    assert created["ServiceSoftwareOptions"]["CurrentVersion"] == "R20250101-P1"


@pytest.mark.usefixtures("clean_emulator")
def test_create_domain_options_reach_state(opensearch: OpenSearchServiceClient) -> None:
    created = opensearch.create_domain(
        DomainName="made",
        EngineVersion="OpenSearch_2.11",
        OffPeakWindowOptions={
            "Enabled": True,
            "OffPeakWindow": {"WindowStartTime": {"Hours": 4, "Minutes": 15}},
        },
        SoftwareUpdateOptions={"AutoSoftwareUpdateEnabled": True},
    )["DomainStatus"]
    assert created["SoftwareUpdateOptions"] == {"AutoSoftwareUpdateEnabled": True}
    status = opensearch.describe_domain(DomainName="made")["DomainStatus"]
    window = status["OffPeakWindowOptions"]["OffPeakWindow"]["WindowStartTime"]
    assert window == {"Hours": 4, "Minutes": 15}
    assert status["SoftwareUpdateOptions"] == {"AutoSoftwareUpdateEnabled": True}


def test_update_domain_config_reaches_state(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    config = opensearch.update_domain_config(
        DomainName="alpha",
        SoftwareUpdateOptions={"AutoSoftwareUpdateEnabled": True},
        OffPeakWindowOptions={
            "Enabled": True,
            "OffPeakWindow": {"WindowStartTime": {"Hours": 5, "Minutes": 0}},
        },
    )["DomainConfig"]
    assert config["SoftwareUpdateOptions"]["Options"] == {"AutoSoftwareUpdateEnabled": True}
    status = opensearch.describe_domain(DomainName="alpha")["DomainStatus"]
    assert status["SoftwareUpdateOptions"] == {"AutoSoftwareUpdateEnabled": True}
    assert status["OffPeakWindowOptions"]["OffPeakWindow"]["WindowStartTime"]["Hours"] == 5
    assert status["ServiceSoftwareOptions"]["NewVersion"] == "R2"


@pytest.mark.usefixtures("clean_emulator")
def test_update_domain_config_unknown_domain(opensearch: OpenSearchServiceClient) -> None:
    with pytest.raises(ClientError) as error:
        opensearch.update_domain_config(
            DomainName="ghost", SoftwareUpdateOptions={"AutoSoftwareUpdateEnabled": True}
        )
    assert_client_error(error, "ResourceNotFoundException", 409, "Domain not found: ghost")


def test_handler_bug_gives_internal_exception(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_handler(call: Any) -> dict[str, Any]:
        raise KeyError(call.params["DomainName"])

    # The server thread runs in this process and reads this same dict.
    monkeypatch.setitem(operations.HANDLERS, "DescribeDomain", broken_handler)
    emulator.seed_domain("alpha")
    with pytest.raises(ClientError) as error:
        opensearch.describe_domain(DomainName="alpha")
    assert_client_error(error, "InternalException", 500, "The emulator failed: KeyError('alpha')")
    entry = emulator.requests()[-1]
    assert entry["operation"] == "DescribeDomain"
    assert entry["status"] == 500
    assert entry["error"] == "InternalException"


# Request log and reset


def test_request_log_records_calls(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    now = emulator.now()
    opensearch.create_domain(DomainName="beta")
    opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="NOW")
    with pytest.raises(ClientError):
        opensearch.cancel_service_software_update(DomainName="ghost")
    opensearch.list_scheduled_actions(DomainName="alpha", MaxResults=5)

    entries = emulator.requests()
    assert [entry["seq"] for entry in entries] == [1, 2, 3, 4]
    assert [entry["operation"] for entry in entries] == [
        "CreateDomain",
        "StartServiceSoftwareUpdate",
        "CancelServiceSoftwareUpdate",
        "ListScheduledActions",
    ]
    assert [entry["domain"] for entry in entries] == ["beta", "alpha", "ghost", "alpha"]
    assert [entry["status"] for entry in entries] == [200, 200, 409, 200]
    assert [entry["error"] for entry in entries] == [
        None,
        None,
        "ResourceNotFoundException",
        None,
    ]
    assert entries[1]["params"] == {"DomainName": "alpha", "ScheduleAt": "NOW"}
    assert entries[3]["params"] == {"DomainName": "alpha", "MaxResults": 5}
    assert all(entry["region"] == "us-east-1" for entry in entries)
    assert all(entry["time"] == pytest.approx(now) for entry in entries)

    emulator.clear_requests()
    assert emulator.requests() == []


def test_request_log_leaves_out_control_calls(emulator: EmulatorClient) -> None:
    emulator.seed_domain("alpha")
    emulator.advance(1)
    emulator.settings(pending_seconds=1)
    assert emulator.requests() == []


def test_mutating_operations_set() -> None:
    for name in (
        "StartServiceSoftwareUpdate",
        "CancelServiceSoftwareUpdate",
        "UpdateScheduledAction",
        "CreateDomain",
        "DeleteDomain",
        "UpdateDomainConfig",
        "UpgradeDomain",
        "AddTags",
    ):
        assert name in MUTATING_OPERATIONS
    for name in ("DescribeDomain", "DescribeDomains", "ListScheduledActions", "GetUpgradeStatus"):
        assert name not in MUTATING_OPERATIONS


def test_reset_clears_everything(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.settings(scheduled_time_unit="seconds", pending_seconds=5)
    opensearch.describe_domain(DomainName="alpha")
    advanced = emulator.advance(10 * DAY)

    emulator.reset()
    assert emulator.requests() == []
    assert emulator.settings() == {
        "scheduled_time_unit": "milliseconds",
        "in_progress_seconds": 600,
        "pending_seconds": 60,
    }
    assert emulator.now() < advanced - 9 * DAY
    assert opensearch.list_domain_names()["DomainNames"] == []
    with pytest.raises(ClientError) as error:
        opensearch.describe_domain(DomainName="alpha")
    assert_client_error(error, "ResourceNotFoundException", 409, "Domain not found: alpha")


# Control endpoint input checks


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "field 'name' is required"),
        (
            {"name": "Bad"},
            "field 'name' must be 3 to 28 characters of lowercase letters, digits and hyphens, "
            "starting with a letter, got 'Bad'",
        ),
        (
            {"name": "alpha", "region": "mars-1"},
            "field 'region' is not an AWS region in moto's list: 'mars-1'",
        ),
        (
            {"name": "alpha", "off_peak_start_hours": 24},
            "field 'off_peak_start_hours' must be an integer from 0 to 23, got 24",
        ),
        (
            {"name": "alpha", "optional_deployment": "yes"},
            "field 'optional_deployment' must be true or false, got 'yes'",
        ),
        ({"name": "alpha", "colour": "blue"}, "unknown field(s): colour"),
        (
            {"name": "alpha", "update_status": "ELIGIBLE"},
            "field 'update_status' ELIGIBLE needs a non-null 'new_version'",
        ),
        (
            {"name": "alpha", "new_version": "R2", "update_status": "PENDING_UPDATE"},
            "field 'scheduled_start' must be epoch seconds after the emulator's now",
        ),
        (
            {"name": "alpha", "new_version": "R2", "update_status": "SOON"},
            "field 'update_status' must be one of PENDING_UPDATE, IN_PROGRESS, COMPLETED, "
            "NOT_ELIGIBLE, ELIGIBLE, got 'SOON'",
        ),
    ],
)
@pytest.mark.usefixtures("clean_emulator")
def test_seed_rejects_bad_input(emulator_server: EmulatorServer, body: Any, message: str) -> None:
    status, reply = control_call(emulator_server.url, "POST", "domains", body)
    assert status == 400
    assert reply["message"].startswith(message)


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("clock", {"advance_seconds": -5}, "field 'advance_seconds' must be >= 0, got -5"),
        ("clock", {}, "give 'advance_seconds', 'speed' or both"),
        (
            "settings",
            {"scheduled_time_unit": "minutes"},
            "field 'scheduled_time_unit' must be one of milliseconds, seconds, got 'minutes'",
        ),
        ("settings", {"in_progress_seconds": 0}, "field 'in_progress_seconds' must be >= 1"),
        ("slots", {"name": "alpha"}, "field 'unavailable' is required"),
        (
            "slots",
            {"name": "alpha", "unavailable": True, "suggestions": ["soon"]},
            "field 'suggestions' must be a list of integers, got ['soon']",
        ),
    ],
)
@pytest.mark.usefixtures("clean_emulator")
def test_control_rejects_bad_input(
    emulator_server: EmulatorServer, path: str, body: Any, message: str
) -> None:
    status, reply = control_call(emulator_server.url, "POST", path, body)
    assert status == 400
    assert reply["message"].startswith(message)


def test_control_rejects_bad_json(emulator_server: EmulatorServer) -> None:
    request = urllib.request.Request(
        f"{emulator_server.url}/_emulator/clock", data=b"{not json", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 400
    assert json.loads(error.value.read()) == {"message": "the request body is not valid JSON"}


def test_control_unknown_endpoint(emulator_server: EmulatorServer) -> None:
    status, reply = control_call(emulator_server.url, "GET", "nothing")
    assert status == 404
    assert reply == {"message": "no control endpoint GET /_emulator/nothing"}


# Server process


def test_server_binds_loopback_free_port() -> None:
    with EmulatorServer() as first, EmulatorServer() as second:
        assert first.url.startswith("http://127.0.0.1:")
        assert first.port != second.port
        assert EmulatorClient(first.url).health() is True


@pytest.mark.usefixtures("fake_aws_environment")
def test_main_writes_port_and_stops(
    tmp_path: Path, opensearch_factory: OpenSearchFactory, emulator_process: Callable[..., Any]
) -> None:
    process, url = emulator_process(tmp_path / "port")
    try:
        client = EmulatorClient(url)
        assert client.health() is True
        client.seed_domain("alpha")
        opensearch_factory(url).describe_domain(DomainName="alpha")
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert stdout == f"emulator listening on {url}\n"
    assert f"emulator listening on {url}" in stderr
    assert "DescribeDomain domain=alpha status=200 error=None" in stderr
    assert "emulator stopped" in stderr
