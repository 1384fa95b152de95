"""SoftwareUpdateRollout wiring under Pulumi's mocks, with real pulumi_aws Domain resources."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import config as runtime_config

from components.opensearch import rollout as rollout_module
from components.opensearch.preview import describe_plan
from components.opensearch.resource import ServiceSoftwareUpdate
from components.opensearch.rollout import DomainRef, SoftwareUpdateRollout, Wave
from components.opensearch.schedule import InvalidInputError

UPDATE_TYPE = "pulumi-python:dynamic/opensearch:ServiceSoftwareUpdate"


class RecordingMocks(pulumi.runtime.Mocks):
    """Record registrations; echo inputs back, adding a domain_name for Domain resources."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        if args.typ == "aws:opensearch/domain:Domain":
            outputs.setdefault("domainName", args.name)
        return f"{args.name}-id", outputs

    def call(self, _args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    recording = RecordingMocks()
    runtime_config.set_all_config({})
    pulumi.runtime.set_mocks(recording, project="opensearch-updates", stack="test", preview=False)
    yield recording
    runtime_config.set_all_config({})


@pytest.fixture
def depends_on(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Record each child's depends_on by Pulumi resource name; Mocks do not expose it."""
    recorded: dict[str, list[str]] = {}

    # The same module and name keep the resource type token of the real class.
    class RecordingUpdate(ServiceSoftwareUpdate, module="opensearch", name="ServiceSoftwareUpdate"):
        def __init__(self, resource_name: str, **kwargs: Any) -> None:
            opts = kwargs.get("opts")
            dependencies = list(opts.depends_on or []) if opts else []
            recorded[resource_name] = [d.pulumi_resource_name for d in dependencies]
            super().__init__(resource_name, **kwargs)

    monkeypatch.setattr(rollout_module, "ServiceSoftwareUpdate", RecordingUpdate)
    return recorded


def run(declare: Any) -> None:
    # pulumi.runtime.test (untyped in the SDK) waits for every registration to finish.
    pulumi.runtime.test(declare)()  # type: ignore[no-untyped-call]


def updates_by_name(mocks: RecordingMocks) -> dict[str, dict[str, Any]]:
    return {args.name: dict(args.inputs) for args in mocks.resources if args.typ == UPDATE_TYPE}


def test_waves_gate_and_wait(mocks: RecordingMocks, depends_on: dict[str, list[str]]) -> None:
    def declare() -> None:
        prod = aws.opensearch.Domain("search-prod", domain_name="search-prod")
        SoftwareUpdateRollout(
            "fleet",
            annotate_preview=False,
            waves=[
                Wave(name="dev", domains=["logs-dev", "metrics-dev"]),
                Wave(name="prod", domains=[prod], schedule_at="OFF_PEAK_WINDOW"),
            ],
        )

    run(declare)

    inputs = updates_by_name(mocks)
    assert sorted(inputs) == ["fleet-logs-dev", "fleet-metrics-dev", "fleet-search-prod"]
    assert inputs["fleet-logs-dev"]["wait_for_completion"] is True
    assert inputs["fleet-logs-dev"]["wave"] == "wave 1 (dev)"
    assert inputs["fleet-search-prod"]["wait_for_completion"] is False
    assert inputs["fleet-search-prod"]["schedule_at"] == "OFF_PEAK_WINDOW"
    assert inputs["fleet-search-prod"]["domain_name"] == "search-prod"
    assert inputs["fleet-search-prod"]["wave"] == "wave 2 (prod)"

    assert depends_on["fleet-logs-dev"] == []
    assert depends_on["fleet-metrics-dev"] == []
    assert sorted(depends_on["fleet-search-prod"]) == [
        "fleet-logs-dev",
        "fleet-metrics-dev",
        "search-prod",
    ]


def test_children_are_parented_and_named_by_domain(mocks: RecordingMocks) -> None:
    created: dict[str, SoftwareUpdateRollout] = {}

    def declare() -> None:
        created["rollout"] = SoftwareUpdateRollout(
            "fleet", annotate_preview=False, waves=[Wave(domains=["logs-dev"])]
        )

    run(declare)

    component = next(r for r in mocks.resources if r.typ == rollout_module.COMPONENT_TYPE)
    assert component.name == "fleet"
    assert list(created["rollout"].updates) == ["logs-dev"]
    assert created["rollout"].updates["logs-dev"].pulumi_resource_name == "fleet-logs-dev"


def test_moving_domain_between_waves_keeps_its_name(mocks: RecordingMocks) -> None:
    """Names depend on the domain, not the wave, so a move updates and never replaces."""

    def declare() -> None:
        SoftwareUpdateRollout(
            "fleet",
            annotate_preview=False,
            waves=[Wave(domains=["logs-dev"]), Wave(domains=["search-prod", "metrics-dev"])],
        )

    run(declare)

    assert "fleet-metrics-dev" in updates_by_name(mocks)


def test_output_names_need_a_key(mocks: RecordingMocks) -> None:
    def declare() -> None:
        name = pulumi.Output.from_input("logs-dev")
        SoftwareUpdateRollout(
            "fleet",
            annotate_preview=False,
            waves=[Wave(domains=[DomainRef("logs", name)])],
        )

    run(declare)

    assert updates_by_name(mocks)["fleet-logs"]["domain_name"] == "logs-dev"


@pytest.mark.parametrize(
    ("waves", "fragment"),
    [
        ([], "waves is empty"),
        ([Wave(domains=[])], "waves[0] has no domains"),
        (
            [Wave(domains=["logs-dev"]), Wave(domains=["logs-dev"])],
            "domain 'logs-dev' is in waves [0] and [1]",
        ),
        ([Wave(domains=[42])], "must be a name, a DomainRef"),  # type: ignore[list-item]
        (["logs-dev"], "waves[0] must be a Wave"),
    ],
)
@pytest.mark.usefixtures("mocks")
def test_bad_waves_rejected(waves: list[Any], fragment: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        SoftwareUpdateRollout("fleet", waves=waves, annotate_preview=False)

    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("options", "scheduled", "expected"),
    [
        (
            {
                "update_status": "ELIGIBLE",
                "update_available": True,
                "current_version": "R1",
                "new_version": "R2",
                "optional_deployment": False,
                "automated_update_date": "2026-12-31T00:00:00Z",
            },
            None,
            "logs-dev: R1 -> R2, required by 2026-12-31T00:00:00Z",
        ),
        (
            {"update_status": "COMPLETED", "update_available": False, "current_version": "R2"},
            None,
            "logs-dev: up to date (R2)",
        ),
        (
            {"update_status": "PENDING_UPDATE", "update_available": False, "new_version": "R2"},
            "2026-12-06T02:00:00Z",
            "logs-dev: already scheduled for 2026-12-06T02:00:00Z (R2)",
        ),
        (
            {"update_status": "IN_PROGRESS", "update_available": False, "new_version": "R2"},
            None,
            "logs-dev: update to R2 in progress",
        ),
    ],
)
def test_preview_plan_lines(options: dict[str, Any], scheduled: str | None, expected: str) -> None:
    assert describe_plan("logs-dev", options, scheduled) == expected


def test_preview_plan_names_not_eligible() -> None:
    options = {
        "update_status": "NOT_ELIGIBLE",
        "update_available": False,
        "description": "cluster is red",
    }

    line = describe_plan("logs-dev", options, None)

    assert line.startswith("logs-dev: update NOT_ELIGIBLE; up will not start it")
    assert "cluster is red" in line


def test_preview_plan_says_when_up_moves_update() -> None:
    options = {"update_status": "PENDING_UPDATE", "update_available": False, "new_version": "R2"}

    line = describe_plan("logs-dev", options, "2026-12-07T20:00:00Z", "NOW")

    assert line == "logs-dev: already scheduled for 2026-12-07T20:00:00Z (R2); up moves it to NOW"
