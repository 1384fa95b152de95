"""Provider unit tests with botocore's Stubber, which checks every request against the model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from components.opensearch import aws
from components.opensearch.provider import ServiceSoftwareUpdateProvider
from components.opensearch.resource import _PROVIDER

DOMAIN = "logs-prod"
FUTURE_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z


def software(
    *,
    status: str = "ELIGIBLE",
    available: bool = True,
    current: str = "R20250403-P5",
    new: str = "R20251106-P2",
    optional: bool = True,
    deadline: dt.datetime | None = None,
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "CurrentVersion": current,
        "NewVersion": new if available or status in ("PENDING_UPDATE", "IN_PROGRESS") else "",
        "UpdateAvailable": available,
        "Cancellable": status == "PENDING_UPDATE" and optional,
        "UpdateStatus": status,
        "Description": f"status {status}",
        "OptionalDeployment": optional,
    }
    if deadline is not None:
        options["AutomatedUpdateDate"] = deadline
    return options


def domain_status(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "DomainStatus": {
            "DomainId": f"123456789012/{DOMAIN}",
            "DomainName": DOMAIN,
            "ARN": f"arn:aws:es:us-east-1:123456789012:domain/{DOMAIN}",
            "ClusterConfig": {},
            "ServiceSoftwareOptions": options,
        }
    }


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client(
        "opensearch",
        region_name="us-east-1",
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="not-a-secret",
    )
    monkeypatch.setattr(aws, "opensearch_client", lambda _region, _profile=None: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def provider() -> ServiceSoftwareUpdateProvider:
    return ServiceSoftwareUpdateProvider()


def props(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "domain_name": DOMAIN,
        "region": None,
        "schedule_at": "NOW",
        "desired_start_time": None,
    }
    values.update(overrides)
    return values


def expect_describe(stubber: Stubber, options: dict[str, Any]) -> None:
    stubber.add_response("describe_domain", domain_status(options), {"DomainName": DOMAIN})


def test_create_starts_available_update(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software())
    stubbed.add_response(
        "start_service_software_update",
        {"ServiceSoftwareOptions": software(status="PENDING_UPDATE", available=False)},
        {"DomainName": DOMAIN, "ScheduleAt": "NOW"},
    )

    result = provider.create(props())

    assert result.id == DOMAIN
    assert result.outs is not None
    assert result.outs["update_status"] == "PENDING_UPDATE"
    assert result.outs["new_version"] == "R20251106-P2"
    assert result.outs["resolved_region"] == "us-east-1"
    assert result.outs["schedule_at"] == "NOW"


def test_create_sends_timestamp_in_milliseconds(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software())
    stubbed.add_response(
        "start_service_software_update",
        {"ServiceSoftwareOptions": software(status="PENDING_UPDATE", available=False)},
        {"DomainName": DOMAIN, "ScheduleAt": "TIMESTAMP", "DesiredStartTime": FUTURE_MS},
    )

    provider.create(props(schedule_at="TIMESTAMP", desired_start_time=FUTURE_MS))


def test_create_current_domain_sends_no_start(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software(status="COMPLETED", available=False))

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["update_available"] is False
    assert result.outs["new_version"] is None
    assert "No service software update available" in result.outs["description"]
    assert "R20250403-P5" in result.outs["description"]


@pytest.mark.parametrize("status", ["PENDING_UPDATE", "IN_PROGRESS"])
def test_create_adopts_update_in_flight(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider, status: str
) -> None:
    expect_describe(stubbed, software(status=status, available=False))

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["update_status"] == status


def test_create_not_eligible_sends_no_start(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software(status="NOT_ELIGIBLE"))

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["update_status"] == "NOT_ELIGIBLE"


def test_start_after_internal_error_checks_before_failing(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    """A 500 on Start may hide an accepted request, so the provider looks before it fails."""
    expect_describe(stubbed, software())
    stubbed.add_client_error(
        "start_service_software_update",
        service_error_code="InternalException",
        service_message="internal failure",
        http_status_code=500,
    )
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["update_status"] == "PENDING_UPDATE"


def test_start_validation_error_names_domain_and_code(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software())
    stubbed.add_client_error(
        "start_service_software_update",
        service_error_code="ValidationException",
        service_message="The off-peak window is not enabled",
        http_status_code=400,
    )

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        provider.create(props(schedule_at="OFF_PEAK_WINDOW"))

    message = str(caught.value)
    assert "StartServiceSoftwareUpdate failed for domain 'logs-prod'" in message
    assert "(ValidationException)" in message
    assert "The off-peak window is not enabled" in message


def test_describe_missing_domain_says_what_to_check(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    stubbed.add_client_error(
        "describe_domain",
        service_error_code="ResourceNotFoundException",
        service_message=f"Domain not found: {DOMAIN}",
        http_status_code=409,
    )

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        provider.create(props())

    assert caught.value.code == "ResourceNotFoundException"
    assert "Check domain_name and the region" in str(caught.value)


def test_read_returns_live_status(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    deadline = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
    expect_describe(stubbed, software(status="IN_PROGRESS", optional=False, deadline=deadline))

    result = provider.read(DOMAIN, {**props(), "update_status": "PENDING_UPDATE"})

    assert result.id == DOMAIN
    assert result.outs is not None
    assert result.outs["update_status"] == "IN_PROGRESS"
    assert result.outs["optional_deployment"] is False
    assert result.outs["automated_update_date"] == "2026-12-31T00:00:00Z"
    assert result.outs["domain_name"] == DOMAIN


def test_read_deleted_domain_is_gone(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    stubbed.add_client_error(
        "describe_domain",
        service_error_code="ResourceNotFoundException",
        service_message=f"Domain not found: {DOMAIN}",
        http_status_code=409,
    )

    result = provider.read(DOMAIN, props())

    assert result.id == ""
    assert result.outs == {}


def test_update_moves_pending_update(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    olds = {**props(), "update_status": "PENDING_UPDATE"}
    news = props(schedule_at="TIMESTAMP", desired_start_time=FUTURE_MS)
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))
    stubbed.add_response(
        "list_scheduled_actions",
        {
            "ScheduledActions": [
                {
                    "Id": "R20251106-P2",
                    "Type": "SERVICE_SOFTWARE_UPDATE",
                    "Severity": "MEDIUM",
                    "ScheduledTime": 1_780_000_000_000,
                }
            ]
        },
        {"DomainName": DOMAIN},
    )
    stubbed.add_response(
        "update_scheduled_action",
        {
            "ScheduledAction": {
                "Id": "R20251106-P2",
                "Type": "SERVICE_SOFTWARE_UPDATE",
                "Severity": "MEDIUM",
                "ScheduledTime": FUTURE_MS,
            }
        },
        {
            "DomainName": DOMAIN,
            "ActionID": "R20251106-P2",
            "ActionType": "SERVICE_SOFTWARE_UPDATE",
            "ScheduleAt": "TIMESTAMP",
            "DesiredStartTime": FUTURE_MS,
        },
    )
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))

    result = provider.update(DOMAIN, olds, news)

    assert result.outs is not None
    assert result.outs["desired_start_time"] == FUTURE_MS


def test_update_with_same_inputs_only_reads(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    """A new provider release must not start anything when the inputs did not change."""
    olds = {**props(), "update_status": "COMPLETED", "update_available": False}
    expect_describe(stubbed, software())

    result = provider.update(DOMAIN, olds, props())

    assert result.outs is not None
    assert result.outs["update_status"] == "ELIGIBLE"


def test_update_starts_release_found_by_refresh(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    olds = {**props(), "update_status": "ELIGIBLE", "update_available": True}
    expect_describe(stubbed, software())
    stubbed.add_response(
        "start_service_software_update",
        {"ServiceSoftwareOptions": software(status="PENDING_UPDATE", available=False)},
        {"DomainName": DOMAIN, "ScheduleAt": "NOW"},
    )

    result = provider.update(DOMAIN, olds, props())

    assert result.outs is not None
    assert result.outs["update_status"] == "PENDING_UPDATE"


@pytest.mark.usefixtures("stubbed")
def test_delete_makes_no_call(provider: ServiceSoftwareUpdateProvider) -> None:
    provider.delete(DOMAIN, props())
    # The stubber has no queued response, so any call would have raised.


@pytest.mark.usefixtures("stubbed")
def test_check_rejects_without_calls(provider: ServiceSoftwareUpdateProvider) -> None:
    result = provider.check({}, props(domain_name="Bad_Name", schedule_at="SOON", region="mars"))

    fields = sorted(failure.property for failure in result.failures)
    assert fields == ["domain_name", "region", "schedule_at"]


def test_check_normalizes_inputs(provider: ServiceSoftwareUpdateProvider) -> None:
    result = provider.check({}, props(schedule_at=None, desired_start_time="2100-01-01T00:00:00Z"))

    assert result.failures == []
    assert result.inputs["schedule_at"] == "TIMESTAMP"
    assert result.inputs["desired_start_time"] == FUTURE_MS


@pytest.mark.parametrize(
    ("olds", "news", "changes", "replaces"),
    [
        (props(), props(), False, []),
        (props(), props(schedule_at="OFF_PEAK_WINDOW"), True, []),
        (props(), props(domain_name="logs-dev"), True, ["domain_name"]),
        (props(region="us-east-1"), props(region="eu-west-1"), True, ["region"]),
        ({**props(), "update_status": "COMPLETED", "current_version": "A"}, props(), False, []),
        ({**props(), "update_status": "ELIGIBLE", "update_available": True}, props(), True, []),
    ],
)
def test_diff(
    provider: ServiceSoftwareUpdateProvider,
    olds: dict[str, Any],
    news: dict[str, Any],
    changes: bool,
    replaces: list[str],
) -> None:
    result = provider.diff(DOMAIN, olds, news)

    assert result.changes is changes
    assert result.replaces == replaces


def test_serialized_provider_is_small() -> None:
    """Pulumi stores the pickled provider in every resource's state."""
    assert len(serialize_provider(_PROVIDER)) < 200


def test_configure_region_used_for_calls(
    monkeypatch: pytest.MonkeyPatch, provider: ServiceSoftwareUpdateProvider
) -> None:
    requested: list[str | None] = []

    def record(region: str | None, _profile: str | None = None) -> object:
        requested.append(region)
        raise RuntimeError("stop after the client is chosen")

    monkeypatch.setattr(aws, "opensearch_client", record)
    provider.configure(ConfigureRequest(Config({"aws:region": "eu-west-1"}, "project")))

    with pytest.raises(RuntimeError, match="stop after"):
        provider.read(DOMAIN, props())
    with pytest.raises(RuntimeError, match="stop after"):
        provider.read(DOMAIN, {**props(), "resolved_region": "ap-south-1"})

    assert requested == ["eu-west-1", "ap-south-1"]
