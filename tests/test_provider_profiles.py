"""Preview-time checks of the AWS profile and of the region that a profile supplies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.opensearch.provider import ServiceSoftwareUpdateProvider
from components.opensearch.schedule import UNKNOWN


@pytest.fixture
def provider(
    aws_config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> ServiceSoftwareUpdateProvider:
    """A provider with no region anywhere but in the config file's ``ops`` profile."""
    assert aws_config_file.exists()
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_PROFILE", raising=False)
    return ServiceSoftwareUpdateProvider()


def inputs(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"domain_name": "orders", "schedule_at": "NOW"}
    values.update(overrides)
    return values


def failures(provider: ServiceSoftwareUpdateProvider, news: dict[str, Any]) -> dict[str, str]:
    result = provider.check({}, news)
    return {failure.property: failure.reason for failure in result.failures}


def test_profile_region_satisfies_check(provider: ServiceSoftwareUpdateProvider) -> None:
    assert failures(provider, inputs(profile="ops")) == {}


def test_stack_profile_region_satisfies_check(provider: ServiceSoftwareUpdateProvider) -> None:
    provider.configure(ConfigureRequest(Config({"aws:profile": "ops"}, "project")))

    assert failures(provider, inputs()) == {}


def test_profile_without_region_needs_one(provider: ServiceSoftwareUpdateProvider) -> None:
    found = failures(provider, inputs(profile="bare"))

    assert list(found) == ["region"]
    assert "no AWS region is set" in found["region"]


def test_missing_profile_named_at_preview(provider: ServiceSoftwareUpdateProvider) -> None:
    found = failures(provider, inputs(profile="opps"))

    # The profile is the cause, so no second error about the region.
    assert list(found) == ["profile"]
    assert "profile 'opps' is not in the AWS config files" in found["profile"]
    assert "aws configure --profile NAME" in found["profile"]


def test_missing_env_profile_named(
    provider: ServiceSoftwareUpdateProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "staging")

    found = failures(provider, inputs(region="us-east-1"))

    assert list(found) == ["profile"]
    assert "profile 'staging'" in found["profile"]
    assert "AWS_PROFILE" in found["profile"]


def test_unreadable_config_file_named(
    provider: ServiceSoftwareUpdateProvider, aws_config_file: Path
) -> None:
    aws_config_file.write_text("[profile ops\nregion = eu-west-1\n", encoding="utf-8")

    found = failures(provider, inputs(profile="ops", region="us-east-1"))

    assert list(found) == ["profile"]
    assert "the AWS config files cannot be read" in found["profile"]


def test_profile_checked_once_per_process(
    provider: ServiceSoftwareUpdateProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    cache = provider._profile_problems

    def count(profile: str | None) -> str | None:
        calls.append(profile)
        return None

    monkeypatch.setattr("components.opensearch.aws.profile_problem", count)
    for _ in range(3):
        failures(provider, inputs(profile="ops", region="us-east-1"))

    assert calls == ["ops"]
    assert cache == {"ops": None}


def test_unknown_profile_skips_checks(provider: ServiceSoftwareUpdateProvider) -> None:
    # A profile computed from another resource is unknown at preview, so it stays unchecked.
    assert failures(provider, inputs(profile=UNKNOWN)) == {}


def test_default_profile_variable_checked(
    provider: ServiceSoftwareUpdateProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore reads AWS_DEFAULT_PROFILE before AWS_PROFILE.
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "nope")
    monkeypatch.setenv("AWS_PROFILE", "ops")

    found = failures(provider, inputs())

    assert list(found) == ["profile"]
    assert "profile 'nope'" in found["profile"]
    assert "AWS_DEFAULT_PROFILE" in found["profile"]


@pytest.mark.parametrize("value", ["eu-west-1 ", "EU-WEST-1"])
def test_invalid_environment_region_rejected(
    provider: ServiceSoftwareUpdateProvider, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AWS_REGION", value)

    found = failures(provider, inputs())

    assert list(found) == ["region"]
    assert f"the region {value!r} from AWS_REGION" in found["region"]
    assert "pulumi config set aws:region" in found["region"]


def test_valid_environment_region_accepted(
    provider: ServiceSoftwareUpdateProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")

    assert failures(provider, inputs()) == {}
