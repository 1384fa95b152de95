"""Raw JSON of the emulator's responses, checked against botocore's OpenSearch Service shapes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_opensearch.client import OpenSearchServiceClient

from emulator import EmulatorClient, EmulatorServer
from emulator.model import service_model
from emulator.shapes import check_error, check_output, check_value

pytest_plugins = ["emulator_fixtures"]

OpenSearchFactory = Callable[..., OpenSearchServiceClient]


@dataclass
class RawResponse:
    operation: str
    status: int
    headers: dict[str, str]
    body: Any


class Recorder:
    """A boto3 client that keeps the raw HTTP response of every call it makes."""

    def __init__(self, client: OpenSearchServiceClient) -> None:
        self.client = client
        self.responses: list[RawResponse] = []
        client.meta.events.register("before-parse.opensearch.*", self._record)

    def _record(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict["body"]
        self.responses.append(
            RawResponse(
                operation=operation_model.name,
                status=response_dict["status_code"],
                headers={key.lower(): value for key, value in response_dict["headers"].items()},
                body=json.loads(body) if body else None,
            )
        )

    def call(self, action: Callable[[OpenSearchServiceClient], object]) -> RawResponse:
        """Run ``action`` with the client, ignore a ClientError, and return the raw response."""
        self.responses.clear()
        with contextlib.suppress(ClientError):
            action(self.client)
        assert len(self.responses) == 1
        return self.responses[0]


def shape_problems(raw: RawResponse) -> list[str]:
    if raw.status < 300:
        return check_output(raw.operation, raw.body)
    return check_error(raw.operation, raw.status, raw.headers, raw.body)


@pytest.fixture(scope="module")
def recorder(emulator_server: EmulatorServer, opensearch_factory: OpenSearchFactory) -> Recorder:
    # Client-side checks off, so that invalid values reach the emulator.
    return Recorder(opensearch_factory(emulator_server.url, validate=False))


@pytest.fixture
def emulator(clean_emulator: EmulatorClient) -> EmulatorClient:
    return clean_emulator


def in_hours(emulator: EmulatorClient, hours: float) -> int:
    """Return epoch milliseconds ``hours`` after the emulator's now."""
    return round((emulator.now() + hours * 3600) * 1000)


def seed_optional(emulator: EmulatorClient) -> None:
    emulator.seed_domain("alpha", current_version="R1", new_version="R2")


def seed_scheduled(emulator: EmulatorClient) -> None:
    emulator.seed_domain(
        "alpha",
        new_version="R2",
        update_status="PENDING_UPDATE",
        scheduled_start=emulator.now() + 3600,
    )


def seed_required(emulator: EmulatorClient) -> None:
    emulator.seed_domain(
        "alpha",
        new_version="R2",
        optional_deployment=False,
        automated_update_date=emulator.now() + 86400,
    )


def seed_in_progress(emulator: EmulatorClient) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="IN_PROGRESS")


def seed_current(emulator: EmulatorClient) -> None:
    emulator.seed_domain("alpha", current_version="R2")


def seed_not_eligible(emulator: EmulatorClient) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="NOT_ELIGIBLE")


def seed_nothing(emulator: EmulatorClient) -> None:
    del emulator


def seed_scheduled_slots_taken(emulator: EmulatorClient) -> None:
    seed_scheduled(emulator)
    emulator.set_slots("alpha", suggestions=[in_hours(emulator, 5), in_hours(emulator, 6)])


def seed_scheduled_in_seconds(emulator: EmulatorClient) -> None:
    emulator.settings(scheduled_time_unit="seconds")
    seed_scheduled(emulator)


@dataclass
class Scenario:
    """One request to send after ``seed``, and the error code it must get (None for success)."""

    seed: Callable[[EmulatorClient], None]
    action: Callable[[ScenarioCall], object]
    error: str | None


@dataclass
class ScenarioCall:
    client: OpenSearchServiceClient
    emulator: EmulatorClient


def reschedule(call: ScenarioCall, action_id: str = "R2", schedule_at: str = "TIMESTAMP") -> object:
    """Move update R2 of domain "alpha"; a TIMESTAMP move goes to two hours from now."""
    client = call.client
    if schedule_at != "TIMESTAMP":
        return client.update_scheduled_action(
            DomainName="alpha",
            ActionID=action_id,
            ActionType="SERVICE_SOFTWARE_UPDATE",
            ScheduleAt=schedule_at,  # type: ignore[arg-type]
        )
    return client.update_scheduled_action(
        DomainName="alpha",
        ActionID=action_id,
        ActionType="SERVICE_SOFTWARE_UPDATE",
        ScheduleAt="TIMESTAMP",
        DesiredStartTime=in_hours(call.emulator, 2),
    )


SCENARIOS: dict[str, Scenario] = {
    # StartServiceSoftwareUpdate
    "start now": Scenario(
        seed_optional,
        lambda call: call.client.start_service_software_update(DomainName="alpha"),
        None,
    ),
    "start required": Scenario(
        seed_required,
        lambda call: call.client.start_service_software_update(
            DomainName="alpha", ScheduleAt="OFF_PEAK_WINDOW"
        ),
        None,
    ),
    "start without timestamp": Scenario(
        seed_optional,
        lambda call: call.client.start_service_software_update(
            DomainName="alpha", ScheduleAt="TIMESTAMP"
        ),
        "ValidationException",
    ),
    "start bad name": Scenario(
        seed_nothing,
        lambda call: call.client.start_service_software_update(DomainName="Bad_Name"),
        "ValidationException",
    ),
    "start no update": Scenario(
        seed_current,
        lambda call: call.client.start_service_software_update(DomainName="alpha"),
        "BaseException",
    ),
    "start unknown domain": Scenario(
        seed_nothing,
        lambda call: call.client.start_service_software_update(DomainName="ghost"),
        "ResourceNotFoundException",
    ),
    # CancelServiceSoftwareUpdate
    "cancel pending": Scenario(
        seed_scheduled,
        lambda call: call.client.cancel_service_software_update(DomainName="alpha"),
        None,
    ),
    "cancel unscheduled": Scenario(
        seed_optional,
        lambda call: call.client.cancel_service_software_update(DomainName="alpha"),
        "BaseException",
    ),
    "cancel bad name": Scenario(
        seed_nothing,
        lambda call: call.client.cancel_service_software_update(DomainName="ab"),
        "ValidationException",
    ),
    "cancel unknown domain": Scenario(
        seed_nothing,
        lambda call: call.client.cancel_service_software_update(DomainName="ghost"),
        "ResourceNotFoundException",
    ),
    # ListScheduledActions
    "list empty": Scenario(
        seed_optional, lambda call: call.client.list_scheduled_actions(DomainName="alpha"), None
    ),
    "list pending": Scenario(
        seed_scheduled, lambda call: call.client.list_scheduled_actions(DomainName="alpha"), None
    ),
    "list pending in seconds": Scenario(
        seed_scheduled_in_seconds,
        lambda call: call.client.list_scheduled_actions(DomainName="alpha"),
        None,
    ),
    "list in progress": Scenario(
        seed_in_progress,
        lambda call: call.client.list_scheduled_actions(DomainName="alpha", MaxResults=1),
        None,
    ),
    "list bad token": Scenario(
        seed_optional,
        lambda call: call.client.list_scheduled_actions(DomainName="alpha", NextToken="x"),
        "InvalidPaginationTokenException",
    ),
    "list bad max results": Scenario(
        seed_optional,
        lambda call: call.client.list_scheduled_actions(DomainName="alpha", MaxResults=500),
        "ValidationException",
    ),
    "list unknown domain": Scenario(
        seed_nothing,
        lambda call: call.client.list_scheduled_actions(DomainName="ghost"),
        "ResourceNotFoundException",
    ),
    # UpdateScheduledAction
    "reschedule": Scenario(seed_scheduled, reschedule, None),
    "reschedule unknown action": Scenario(
        seed_scheduled,
        lambda call: reschedule(call, action_id="R9"),
        "ResourceNotFoundException",
    ),
    "reschedule in progress": Scenario(
        seed_in_progress,
        lambda call: reschedule(call, schedule_at="NOW"),
        "ValidationException",
    ),
    "reschedule slot taken": Scenario(
        seed_scheduled_slots_taken, reschedule, "SlotNotAvailableException"
    ),
    # DescribeDomain
    "describe eligible": Scenario(
        seed_required, lambda call: call.client.describe_domain(DomainName="alpha"), None
    ),
    "describe pending": Scenario(
        seed_scheduled, lambda call: call.client.describe_domain(DomainName="alpha"), None
    ),
    "describe in progress": Scenario(
        seed_in_progress, lambda call: call.client.describe_domain(DomainName="alpha"), None
    ),
    "describe up to date": Scenario(
        seed_current, lambda call: call.client.describe_domain(DomainName="alpha"), None
    ),
    "describe not eligible": Scenario(
        seed_not_eligible, lambda call: call.client.describe_domain(DomainName="alpha"), None
    ),
    "describe unknown domain": Scenario(
        seed_nothing,
        lambda call: call.client.describe_domain(DomainName="ghost"),
        "ResourceNotFoundException",
    ),
    "describe bad name": Scenario(
        seed_nothing,
        lambda call: call.client.describe_domain(DomainName="Bad"),
        "ValidationException",
    ),
    # DescribeDomains
    "describe domains": Scenario(
        seed_in_progress,
        lambda call: call.client.describe_domains(DomainNames=["alpha", "ghost"]),
        None,
    ),
    "describe domains bad name": Scenario(
        seed_nothing,
        lambda call: call.client.describe_domains(DomainNames=["UPPER"]),
        "ValidationException",
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_response_matches_model(emulator: EmulatorClient, recorder: Recorder, name: str) -> None:
    scenario = SCENARIOS[name]
    scenario.seed(emulator)
    raw = recorder.call(lambda client: scenario.action(ScenarioCall(client, emulator)))
    if scenario.error is None:
        assert raw.status == 200, raw.body
    else:
        assert raw.headers.get("x-amzn-errortype") == scenario.error
    assert shape_problems(raw) == []


def test_scenarios_cover_every_modeled_outcome() -> None:
    """Every operation the emulator serves has a success scenario and one per error it sends."""
    covered: dict[str, set[str | None]] = {}
    operations = {
        "start": "StartServiceSoftwareUpdate",
        "cancel": "CancelServiceSoftwareUpdate",
        "list": "ListScheduledActions",
        "reschedule": "UpdateScheduledAction",
        "describe domains": "DescribeDomains",
        "describe": "DescribeDomain",
    }
    for name, scenario in SCENARIOS.items():
        prefix = next(prefix for prefix in operations if name.startswith(prefix))
        covered.setdefault(operations[prefix], set()).add(scenario.error)
    assert covered == {
        "StartServiceSoftwareUpdate": {
            None,
            "ValidationException",
            "BaseException",
            "ResourceNotFoundException",
        },
        "CancelServiceSoftwareUpdate": {
            None,
            "ValidationException",
            "BaseException",
            "ResourceNotFoundException",
        },
        "ListScheduledActions": {
            None,
            "ValidationException",
            "InvalidPaginationTokenException",
            "ResourceNotFoundException",
        },
        "UpdateScheduledAction": {
            None,
            "ValidationException",
            "ResourceNotFoundException",
            "SlotNotAvailableException",
        },
        "DescribeDomain": {None, "ValidationException", "ResourceNotFoundException"},
        "DescribeDomains": {None, "ValidationException"},
    }


def test_slot_error_body_carries_suggestions(emulator: EmulatorClient, recorder: Recorder) -> None:
    seed_scheduled_slots_taken(emulator)
    raw = recorder.call(lambda client: reschedule(ScenarioCall(client, emulator)))
    assert raw.status == 409
    assert isinstance(raw.body["SlotSuggestions"], list)
    assert all(isinstance(item, int) for item in raw.body["SlotSuggestions"])
    assert isinstance(raw.body["message"], str)


def test_timestamps_are_epoch_numbers(emulator: EmulatorClient, recorder: Recorder) -> None:
    seed_required(emulator)
    raw = recorder.call(lambda client: client.describe_domain(DomainName="alpha"))
    options = raw.body["DomainStatus"]["ServiceSoftwareOptions"]
    assert isinstance(options["AutomatedUpdateDate"], int | float)
    assert not isinstance(options["AutomatedUpdateDate"], bool)


# Responses that moto builds and the emulator rewrites

FIXED_DOMAIN_STATUS_MEMBERS = (
    "ServiceSoftwareOptions",
    "SoftwareUpdateOptions",
    "OffPeakWindowOptions",
    "DomainProcessingStatus",
)


def test_create_domain_fixed_members(emulator: EmulatorClient, recorder: Recorder) -> None:
    seed_optional(emulator)
    raw = recorder.call(lambda client: client.create_domain(DomainName="beta"))
    assert raw.status == 200
    status = raw.body["DomainStatus"]
    domain_status_shape: Any = service_model().shape_for("DomainStatus")
    for member in FIXED_DOMAIN_STATUS_MEMBERS:
        assert member in status
        path = f"$.DomainStatus.{member}"
        assert check_value(status[member], domain_status_shape.members[member], path) == []
    assert status["SoftwareUpdateOptions"] == {"AutoSoftwareUpdateEnabled": False}


def test_seeded_domain_status_matches_model(emulator: EmulatorClient) -> None:
    status = emulator.seed_domain("alpha", new_version="R2")
    assert check_value(status, service_model().shape_for("DomainStatus")) == []


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("CreateDomain", lambda c: c.create_domain(DomainName="beta")),
        ("DescribeDomainConfig", lambda c: c.describe_domain_config(DomainName="alpha")),
        (
            "UpdateDomainConfig",
            lambda c: c.update_domain_config(
                DomainName="alpha", SoftwareUpdateOptions={"AutoSoftwareUpdateEnabled": True}
            ),
        ),
        ("DeleteDomain", lambda c: c.delete_domain(DomainName="alpha")),
    ],
)
def test_moto_responses_match_model(
    emulator: EmulatorClient,
    recorder: Recorder,
    operation: str,
    action: Callable[[OpenSearchServiceClient], object],
) -> None:
    seed_scheduled(emulator)
    raw = recorder.call(action)
    assert raw.operation == operation
    assert raw.status == 200
    assert shape_problems(raw) == []


# The checker itself


def test_checker_finds_each_problem() -> None:
    shape = service_model().shape_for("ScheduledAction")
    value = {
        "Id": 7,
        "Type": "REBOOT",
        "ScheduledTime": "1700000000000",
        "Mandatory": "yes",
        "Cancellable": None,
        "Colour": "blue",
    }
    assert sorted(check_value(value, shape)) == sorted(
        [
            "$.Id: expected string, got int",
            "$.Type: 'REBOOT' is not one of the ActionType values "
            "['SERVICE_SOFTWARE_UPDATE', 'JVM_HEAP_SIZE_TUNING', 'JVM_YOUNG_GEN_TUNING']",
            "$.ScheduledTime: expected long (JSON integer), got str '1700000000000'",
            "$.Mandatory: expected boolean, got str",
            "$.Cancellable: null, where the member should be left out",
            "$.Colour: unknown member of ScheduledAction",
            "$: required member Severity of ScheduledAction is missing",
        ]
    )


def test_checker_rejects_string_timestamp() -> None:
    shape = service_model().shape_for("ServiceSoftwareOptions")
    problems = check_value({"AutomatedUpdateDate": "1969-12-31T23:00:00-01:00"}, shape)
    assert problems == [
        "$.AutomatedUpdateDate: expected timestamp as epoch seconds (number), "
        "got str '1969-12-31T23:00:00-01:00'"
    ]


def test_checker_rejects_wrong_error_status() -> None:
    problems = check_error(
        "UpdateScheduledAction",
        400,
        {"x-amzn-ErrorType": "SlotNotAvailableException"},
        {"message": "taken", "SlotSuggestions": ["soon"]},
    )
    assert problems == [
        "HTTP status 400, but the model gives SlotNotAvailableException status 409",
        "$.SlotSuggestions[0]: expected long (JSON integer), got str 'soon'",
    ]


def test_checker_rejects_unmodeled_error_code() -> None:
    problems = check_error(
        "DescribeDomain", 409, {"x-amzn-ErrorType": "SlotNotAvailableException"}, {"message": "x"}
    )
    assert len(problems) == 1
    assert problems[0].startswith("x-amzn-ErrorType 'SlotNotAvailableException' is not an error")


def test_checker_rejects_moto_software_options() -> None:
    """moto 5.2.5's DomainStatus.SoftwareUpdateOptions fails the check, so fixing it matters."""
    moto_value = {
        "CurrentVersion": "",
        "NewVersion": "",
        "UpdateAvailable": False,
        "UpdateStatus": "COMPLETED",
    }
    shape = service_model().shape_for("SoftwareUpdateOptions")
    problems = check_value(moto_value, shape)
    assert "$.UpdateStatus: unknown member of SoftwareUpdateOptions" in problems
    assert len(problems) == 4
