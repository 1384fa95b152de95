"""The example program's config handling, under Pulumi's mocks (no engine, no AWS)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from components.opensearch import ServiceSoftwareUpdate
from components.opensearch.schedule import InvalidInputError

PROGRAM = Path(__file__).resolve().parent.parent / "__main__.py"
PROJECT = "opensearch-updates"
UPDATE_TYPE = "pulumi-python:dynamic/opensearch:ServiceSoftwareUpdate"


class RecordingMocks(pulumi.runtime.Mocks):
    """Record each registered resource and echo its inputs back as outputs."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, _args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def program() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_program", PROGRAM)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses resolve their annotations through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    recording = RecordingMocks()
    runtime_config.set_all_config({})
    pulumi.runtime.set_mocks(recording, project=PROJECT, stack="test", preview=False)
    yield recording
    runtime_config.set_all_config({})


def set_config(**values: Any) -> None:
    for key, value in values.items():
        text = value if isinstance(value, str) else json.dumps(value)
        runtime_config.set_config(f"{PROJECT}:{key}", text)


def run_program(program: ModuleType) -> None:
    def declare() -> None:
        program.main()

    # pulumi.runtime.test (untyped in the SDK) waits for every registration to finish.
    pulumi.runtime.test(declare)()  # type: ignore[no-untyped-call]


def update_inputs(mocks: RecordingMocks) -> dict[str, dict[str, Any]]:
    return {args.name: dict(args.inputs) for args in mocks.resources if args.typ == UPDATE_TYPE}


def test_one_update_per_domain_with_defaults(program: ModuleType, mocks: RecordingMocks) -> None:
    set_config(
        domains=["logs-dev", {"name": "search-prod", "scheduleAt": "OFF_PEAK_WINDOW"}],
        scheduleAt="TIMESTAMP",
        desiredStartTime="2100-01-01T00:00:00Z",
        waitForCompletion=True,
    )

    run_program(program)

    inputs = update_inputs(mocks)
    assert sorted(inputs) == ["logs-dev", "search-prod"]
    assert inputs["logs-dev"]["schedule_at"] == "TIMESTAMP"
    assert inputs["logs-dev"]["desired_start_time"] == "2100-01-01T00:00:00Z"
    assert inputs["logs-dev"]["wait_for_completion"] is True
    # Its own scheduleAt does not inherit the default start time of another schedule.
    assert inputs["search-prod"]["schedule_at"] == "OFF_PEAK_WINDOW"
    assert inputs["search-prod"].get("desired_start_time") is None
    assert inputs["search-prod"]["wait_for_completion"] is True


@pytest.mark.parametrize(
    ("domains", "fragment"),
    [
        ([], "must be a non-empty list"),
        ({"name": "x"}, "must be a non-empty list"),
        ([42], "must be a domain name or an object"),
        ([{"scheduleAt": "NOW"}], "domains[0].name must be the domain's name"),
        ([""], "must be a domain name or an object"),
        ([{"name": "logs-dev", "when": "NOW"}], "unknown keys ['when']"),
        (["logs-dev", "logs-dev"], "repeats domain 'logs-dev'"),
    ],
)
@pytest.mark.usefixtures("mocks")
def test_bad_domains_config(program: ModuleType, domains: object, fragment: str) -> None:
    set_config(domains=domains)

    with pytest.raises(InvalidInputError, match="opensearch-updates:domains") as caught:
        program.load_targets(pulumi.Config())

    assert fragment in str(caught.value)


@pytest.mark.usefixtures("mocks")
def test_missing_domains_config_names_the_key(program: ModuleType) -> None:
    with pytest.raises(InvalidInputError, match="opensearch-updates:domains is missing") as caught:
        program.load_targets(pulumi.Config())

    assert "pulumi config set --path 'domains[0]' logs-dev" in str(caught.value)


@pytest.mark.usefixtures("mocks")
def test_comma_separated_domains_accepted(program: ModuleType) -> None:
    set_config(domains="logs-dev, search-prod")

    targets = program.load_targets(pulumi.Config())

    assert [target.domain_name for target in targets] == ["logs-dev", "search-prod"]


def test_import_option_rejected(mocks: RecordingMocks) -> None:
    with pytest.raises(InvalidInputError, match="remove import_ and declare the resource"):
        ServiceSoftwareUpdate(
            "logs-dev",
            domain_name="logs-dev",
            opts=pulumi.ResourceOptions(import_="logs-dev"),
        )
    assert mocks.resources == []


def test_waves_take_top_level_defaults(program: ModuleType, mocks: RecordingMocks) -> None:
    set_config(
        waves=[{"name": "dev", "domains": ["logs-dev"]}, {"domains": ["search-prod"]}],
        completionTimeout=600,
        triggers={"rev": 1},
    )

    run_program(program)

    inputs = update_inputs(mocks)
    assert inputs["rollout-logs-dev"]["completion_timeout"] == 600
    assert inputs["rollout-logs-dev"]["triggers"] == {"rev": 1}
    assert inputs["rollout-logs-dev"]["wait_for_completion"] is True
    assert inputs["rollout-search-prod"]["wait_for_completion"] is False


@pytest.mark.usefixtures("mocks")
def test_waves_reject_top_level_wait(program: ModuleType) -> None:
    set_config(waves=[{"domains": ["logs-dev"]}], waitForCompletion=True)

    with pytest.raises(InvalidInputError, match="does not apply to waves"):
        program.load_waves(pulumi.Config())


@pytest.mark.parametrize(
    ("waves", "fragment"),
    [
        ([], "must be a non-empty list"),
        (["logs-dev"], "waves[0] must be an object"),
        ([{"domains": []}], "waves[0].domains must be a non-empty list"),
        ([{"domains": ["a-b-c"], "when": "NOW"}], "unknown keys ['when']"),
    ],
)
@pytest.mark.usefixtures("mocks")
def test_bad_waves_config(program: ModuleType, waves: object, fragment: str) -> None:
    set_config(waves=waves)

    with pytest.raises(InvalidInputError) as caught:
        program.load_waves(pulumi.Config())

    assert fragment in str(caught.value)
