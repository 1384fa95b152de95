"""Provider unit tests with botocore's Stubber, which checks every request against the model."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from components.opensearch import aws
from components.opensearch import domain as domain_module
from components.opensearch.provider import ServiceSoftwareUpdateProvider
from components.opensearch.resource import _PROVIDER
from components.opensearch.schedule import format_epoch_milliseconds

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
    monkeypatch.setattr(aws, "opensearch_client", lambda *_args, **_kwargs: client)
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
        "wait_for_completion": False,
        "completion_timeout": 120.0,
        "cancel_on_delete": False,
        "triggers": None,
        "profile": None,
        "role_arn": None,
    }
    values.update(overrides)
    return values


def expect_describe(stubber: Stubber, options: dict[str, Any]) -> None:
    stubber.add_response("describe_domain", domain_status(options), {"DomainName": DOMAIN})


def expect_move_to_future(stubber: Stubber, scheduled_ms: int) -> None:
    """Stub moving a pending update, scheduled at ``scheduled_ms``, to FUTURE_MS."""
    for _ in range(2):
        stubber.add_response(
            "list_scheduled_actions", scheduled_actions(scheduled_ms), {"DomainName": DOMAIN}
        )
    stubber.add_response(
        "update_scheduled_action",
        {},
        {
            "DomainName": DOMAIN,
            "ActionID": "R20251106-P2",
            "ActionType": "SERVICE_SOFTWARE_UPDATE",
            "ScheduleAt": "TIMESTAMP",
            "DesiredStartTime": FUTURE_MS,
        },
    )
    expect_describe(stubber, software(status="PENDING_UPDATE", available=False))


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


def scheduled_actions(start: int) -> dict[str, Any]:
    return {
        "ScheduledActions": [
            {
                "Id": "R20251106-P2",
                "Type": "SERVICE_SOFTWARE_UPDATE",
                "Severity": "MEDIUM",
                "ScheduledTime": start,
                "ScheduledBy": "SYSTEM",
                "Status": "PENDING_UPDATE",
            }
        ]
    }


def test_create_adopts_update_in_progress(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software(status="IN_PROGRESS", available=False))

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["update_status"] == "IN_PROGRESS"


def test_create_adopts_pending_update_scheduled_soon(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    soon_seconds = int(time.time()) + 600
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))
    # Epoch seconds, as one of AWS's documented examples prints ScheduledTime.
    stubbed.add_response(
        "list_scheduled_actions", scheduled_actions(soon_seconds), {"DomainName": DOMAIN}
    )

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["update_status"] == "PENDING_UPDATE"
    assert result.outs["scheduled_start_time"] == format_epoch_milliseconds(soon_seconds * 1000)


def test_create_moves_adopted_update_to_requested_time(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))
    expect_move_to_future(stubbed, FUTURE_MS - 86_400_000)

    result = provider.create(props(schedule_at="TIMESTAMP", desired_start_time=FUTURE_MS))

    assert result.outs is not None
    assert result.outs["scheduled_start_time"] == "2100-01-01T00:00:00Z"


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
    soon = int(time.time() * 1000) + 60_000
    stubbed.add_response("list_scheduled_actions", scheduled_actions(soon), {"DomainName": DOMAIN})

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
    expect_describe(stubbed, software())

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


def test_check_normalizes_inputs(stubbed: Stubber, provider: ServiceSoftwareUpdateProvider) -> None:
    # A new TIMESTAMP schedule is checked against the domain with one DescribeDomain.
    expect_describe(stubbed, software())

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
    assert len(serialize_provider(_PROVIDER)) < 100


def test_configure_region_used_for_calls(
    monkeypatch: pytest.MonkeyPatch, provider: ServiceSoftwareUpdateProvider
) -> None:
    requested: list[str | None] = []

    def record(region: str | None, *_rest: object, **_options: object) -> object:
        requested.append(region)
        raise RuntimeError("stop after the client is chosen")

    monkeypatch.setattr(aws, "opensearch_client", record)
    provider.configure(ConfigureRequest(Config({"aws:region": "eu-west-1"}, "project")))

    with pytest.raises(RuntimeError, match="stop after"):
        provider.read(DOMAIN, props())
    with pytest.raises(RuntimeError, match="stop after"):
        provider.read(DOMAIN, {**props(), "resolved_region": "ap-south-1"})

    assert requested == ["eu-west-1", "ap-south-1"]


def test_create_off_peak_disabled_sends_no_start(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    response = domain_status(software())
    response["DomainStatus"]["OffPeakWindowOptions"] = {"Enabled": False}
    stubbed.add_response("describe_domain", response, {"DomainName": DOMAIN})

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        provider.create(props(schedule_at="OFF_PEAK_WINDOW"))

    assert caught.value.code == "InvalidSchedule"
    assert "off-peak window of domain 'logs-prod', which is disabled" in str(caught.value)
    assert "Nothing was sent to AWS" in str(caught.value)


def test_check_rejects_time_after_required_deadline(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    deadline = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    expect_describe(stubbed, software(optional=False, deadline=deadline))

    result = provider.check({}, props(schedule_at=None, desired_start_time=FUTURE_MS))

    assert [failure.property for failure in result.failures] == ["desired_start_time"]
    reason = result.failures[0].reason
    assert "2100-01-01T00:00:00Z is after 2099-01-01T00:00:00Z" in reason
    assert "required update R20251106-P2" in reason


def test_check_skips_domain_rules_without_access(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    """A pull-request preview without credentials still validates the inputs offline."""
    stubbed.add_client_error(
        "describe_domain", service_error_code="UnrecognizedClientException", http_status_code=403
    )

    result = provider.check({}, props(schedule_at="OFF_PEAK_WINDOW"))

    assert result.failures == []


@pytest.mark.usefixtures("stubbed")
def test_check_unchanged_schedule_makes_no_call(provider: ServiceSoftwareUpdateProvider) -> None:
    olds = props(schedule_at="TIMESTAMP", desired_start_time=FUTURE_MS)

    result = provider.check(olds, props(schedule_at="TIMESTAMP", desired_start_time=FUTURE_MS))

    assert result.failures == []


def test_slot_error_lists_suggested_times(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    olds = {**props(), "update_status": "PENDING_UPDATE"}
    news = props(schedule_at="TIMESTAMP", desired_start_time=FUTURE_MS)
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))
    stubbed.add_response(
        "list_scheduled_actions", scheduled_actions(1_780_000_000_000), {"DomainName": DOMAIN}
    )
    stubbed.add_client_error(
        "update_scheduled_action",
        service_error_code="SlotNotAvailableException",
        service_message="No capacity at the requested time",
        http_status_code=409,
        response_meta={},
        modeled_fields={"SlotSuggestions": [FUTURE_MS + 3_600_000, FUTURE_MS + 7_200_000]},
    )

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        provider.update(DOMAIN, olds, news)

    message = str(caught.value)
    assert "UpdateScheduledAction failed for domain 'logs-prod' (SlotNotAvailableException)" in (
        message
    )
    assert "2100-01-01T01:00:00Z, 2100-01-01T02:00:00Z" in message
    assert "Pick one of the suggested start times" in message


def test_update_triggers_change_starts_update(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    olds = {**props(triggers={"ticket": "OPS-1"}), "update_status": "COMPLETED"}
    expect_describe(stubbed, software())
    stubbed.add_response(
        "start_service_software_update",
        {"ServiceSoftwareOptions": software(status="PENDING_UPDATE", available=False)},
        {"DomainName": DOMAIN, "ScheduleAt": "NOW"},
    )

    result = provider.update(DOMAIN, olds, props(triggers={"ticket": "OPS-2"}))

    assert result.outs is not None
    assert result.outs["triggers"] == {"ticket": "OPS-2"}


def test_create_waits_for_completion(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS", "0.001")
    monkeypatch.setenv("PULUMI_OPENSEARCH_POLL_MAX_SECONDS", "0.001")
    expect_describe(stubbed, software())
    stubbed.add_response(
        "start_service_software_update",
        {"ServiceSoftwareOptions": software(status="PENDING_UPDATE", available=False)},
        {"DomainName": DOMAIN, "ScheduleAt": "NOW"},
    )
    expect_describe(stubbed, software(status="IN_PROGRESS", available=False))
    expect_describe(stubbed, software(status="COMPLETED", available=False, current="R20251106-P2"))

    result = provider.create(props(wait_for_completion=True))

    assert result.outs is not None
    assert result.outs["update_status"] == "COMPLETED"
    assert result.outs["current_version"] == "R20251106-P2"
    assert result.outs["new_version"] is None


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (software(status="IN_PROGRESS", available=False), "not PENDING_UPDATE"),
        (software(status="PENDING_UPDATE", available=False, optional=False), "is required"),
        (software(status="COMPLETED", available=False), "not PENDING_UPDATE"),
    ],
)
def test_delete_cancel_refused(
    stubbed: Stubber,
    provider: ServiceSoftwareUpdateProvider,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
    reason: str,
) -> None:
    expect_describe(stubbed, options)

    with caplog.at_level("INFO"):
        provider.delete(DOMAIN, props(cancel_on_delete=True))

    assert reason in caplog.text


def test_delete_cancels_pending_optional_update(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))
    stubbed.add_response(
        "cancel_service_software_update",
        {"ServiceSoftwareOptions": software(status="ELIGIBLE")},
        {"DomainName": DOMAIN},
    )

    provider.delete(DOMAIN, props(cancel_on_delete=True))


def test_delete_cancel_of_missing_domain_succeeds(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    stubbed.add_client_error(
        "describe_domain", service_error_code="ResourceNotFoundException", http_status_code=409
    )

    provider.delete(DOMAIN, props(cancel_on_delete=True))


def test_read_pending_without_known_time_makes_one_call(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))

    result = provider.read(DOMAIN, props())

    assert result.outs is not None
    assert result.outs["update_status"] == "PENDING_UPDATE"
    assert result.outs["scheduled_start_time"] is None


def test_diff_ignores_defaults_missing_from_old_state(
    provider: ServiceSoftwareUpdateProvider,
) -> None:
    """State from an earlier release lacks the newer inputs; that alone is no change."""
    olds = {"domain_name": DOMAIN, "region": None, "schedule_at": "NOW"}

    result = provider.diff(DOMAIN, olds, props())

    assert result.changes is False


def test_diff_replaces_when_stack_region_changes(
    provider: ServiceSoftwareUpdateProvider,
) -> None:
    provider.configure(ConfigureRequest(Config({"aws:region": "eu-west-1"}, "project")))

    result = provider.diff(DOMAIN, {**props(), "resolved_region": "us-east-1"}, props())

    assert result.replaces == ["region"]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("wait_for_completion", "yes", "must be true or false"),
        ("cancel_on_delete", 1, "must be true or false"),
        ("completion_timeout", 0, "out of range"),
        ("completion_timeout", 2000, "at most 1440"),
        ("completion_timeout", "2h", "must be a number of minutes"),
        ("role_arn", "admin", "is not an IAM role ARN"),
        ("profile", "has space", "is not a profile name"),
    ],
)
@pytest.mark.usefixtures("stubbed")
def test_check_rejects_bad_options(
    provider: ServiceSoftwareUpdateProvider, field: str, value: object, fragment: str
) -> None:
    result = provider.check({}, props(**{field: value}))

    assert [failure.property for failure in result.failures] == [field]
    assert fragment in result.failures[0].reason


def test_start_retried_only_after_domain_shows_not_applied(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain_module, "_START_BACKOFF_SECONDS", 0.0)
    expect_describe(stubbed, software())
    stubbed.add_client_error(
        "start_service_software_update",
        service_error_code="ThrottlingException",
        http_status_code=400,
    )
    expect_describe(stubbed, software())
    stubbed.add_response(
        "start_service_software_update",
        {"ServiceSoftwareOptions": software(status="PENDING_UPDATE", available=False)},
        {"DomainName": DOMAIN, "ScheduleAt": "NOW"},
    )

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["update_status"] == "PENDING_UPDATE"


def test_start_conflict_with_concurrent_start_adopts(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    """Another stack or a person started the update between our describe and our start."""
    expect_describe(stubbed, software())
    stubbed.add_client_error(
        "start_service_software_update",
        service_error_code="BaseException",
        service_message="An update is already scheduled",
        http_status_code=400,
    )
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))
    soon = int(time.time() * 1000) + 60_000
    stubbed.add_response("list_scheduled_actions", scheduled_actions(soon), {"DomainName": DOMAIN})

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["update_status"] == "PENDING_UPDATE"


def test_start_gives_up_after_max_attempts(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain_module, "_START_BACKOFF_SECONDS", 0.0)
    expect_describe(stubbed, software())
    for _ in range(aws.MAX_ATTEMPTS):
        stubbed.add_client_error(
            "start_service_software_update",
            service_error_code="InternalException",
            http_status_code=500,
        )
        expect_describe(stubbed, software())

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        provider.create(props())

    assert caught.value.code == "InternalException"


def test_update_with_passed_timestamp_sends_nothing(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    """A TIMESTAMP kept from an earlier update cannot schedule the next release."""
    past = 1_700_000_000_000
    olds = {
        **props(schedule_at="TIMESTAMP", desired_start_time=past),
        "update_status": "ELIGIBLE",
        "update_available": True,
    }
    expect_describe(stubbed, software())

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        provider.update(DOMAIN, olds, props(schedule_at="TIMESTAMP", desired_start_time=past))

    assert caught.value.code == "InvalidSchedule"
    assert "2023-11-14T22:13:20Z has passed" in str(caught.value)
    assert "Nothing was sent to AWS" in str(caught.value)


@pytest.mark.usefixtures("stubbed")
def test_check_rejects_bad_stack_region(provider: ServiceSoftwareUpdateProvider) -> None:
    provider.configure(ConfigureRequest(Config({"aws:region": "mars"}, "project")))

    result = provider.check({}, props())

    assert [failure.property for failure in result.failures] == ["region"]
    assert "aws:region 'mars'" in result.failures[0].reason


def test_concurrent_start_with_other_time_is_moved(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    """Someone started the update NOW just before our TIMESTAMP request: ours is applied."""
    expect_describe(stubbed, software())
    stubbed.add_client_error(
        "start_service_software_update",
        service_error_code="BaseException",
        service_message="An update is already scheduled",
        http_status_code=400,
    )
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))
    soon = int(time.time() * 1000) + 60_000
    expect_move_to_future(stubbed, soon)

    result = provider.create(props(schedule_at="TIMESTAMP", desired_start_time=FUTURE_MS))

    assert result.outs is not None
    assert result.outs["scheduled_start_time"] == "2100-01-01T00:00:00Z"


def test_not_eligible_with_waiting_stops(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    """A rollout waits on each domain of a wave; one that cannot update stops the next wave."""
    expect_describe(stubbed, software(status="NOT_ELIGIBLE", available=False))

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        provider.create(props(wait_for_completion=True))

    assert caught.value.code == "NOT_ELIGIBLE"
    assert "cannot complete" in str(caught.value)


def test_not_eligible_description_kept(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    expect_describe(stubbed, software(status="NOT_ELIGIBLE", available=False))

    result = provider.create(props())

    assert result.outs is not None
    assert result.outs["description"] == "status NOT_ELIGIBLE"


def test_explicit_stack_region_not_replaced(
    provider: ServiceSoftwareUpdateProvider,
) -> None:
    provider.configure(ConfigureRequest(Config({"aws:region": "us-east-1"}, "project")))
    olds = {**props(), "resolved_region": "us-east-1"}

    result = provider.diff(DOMAIN, olds, props(region="us-east-1"))

    assert result.replaces == []


def test_cancel_on_delete_replaces_delete_first(provider: ServiceSoftwareUpdateProvider) -> None:
    result = provider.diff(
        DOMAIN, props(domain_name="logs-old"), props(domain_name="logs-dev", cancel_on_delete=True)
    )

    assert result.replaces == ["domain_name"]
    assert result.delete_before_replace is True


def test_access_denied_names_the_action(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    stubbed.add_client_error(
        "describe_domain", service_error_code="AccessDeniedException", http_status_code=403
    )

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        provider.read(DOMAIN, props())

    assert "Grant the caller the es:DescribeDomain action" in str(caught.value)


def test_read_pending_with_known_time_makes_one_call(
    stubbed: Stubber, provider: ServiceSoftwareUpdateProvider
) -> None:
    """A refresh costs one DescribeDomain once the pending update's start time is in state."""
    expect_describe(stubbed, software(status="PENDING_UPDATE", available=False))
    state = {
        **props(),
        "update_status": "PENDING_UPDATE",
        "new_version": "R20251106-P2",
        "scheduled_start_time": "2100-01-01T00:00:00Z",
    }

    result = provider.read(DOMAIN, state)

    assert result.outs is not None
    assert result.outs["scheduled_start_time"] == "2100-01-01T00:00:00Z"
