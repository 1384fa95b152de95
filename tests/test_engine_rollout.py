"""Rollouts in waves through the real pulumi CLI against the emulator.

The order of the emulator's request log is the proof. No Start for a wave-2 domain comes
before the wave-1 updates completed, and nothing reaches wave 2 after a wave-1 failure.
A re-run resumes without a duplicate Start, and preview makes only read calls.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from devtools.engine import PulumiCommandError, PulumiWorkspace
from emulator import MUTATING_OPERATIONS, EmulatorClient

pytestmark = pytest.mark.engine

REGION = "us-east-1"
OLD = "R20250403-P5"
NEW = "R20251106-P2"
PENDING_SECONDS = 60
IN_PROGRESS_SECONDS = 600
FAST_POLLING = {
    "PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS": "0.2",
    "PULUMI_OPENSEARCH_POLL_MAX_SECONDS": "0.5",
}
WAVES = [
    {"name": "dev", "domains": ["logs-dev", "metrics-dev"]},
    {"name": "prod", "domains": ["search-prod"]},
]


def seed_fleet(client: EmulatorClient) -> None:
    client.settings(pending_seconds=PENDING_SECONDS, in_progress_seconds=IN_PROGRESS_SECONDS)
    for name in ("logs-dev", "metrics-dev"):
        client.seed_domain(name=name, region=REGION, current_version=OLD, new_version=NEW)
    client.seed_domain(
        name="search-prod",
        region=REGION,
        current_version=OLD,
        new_version=NEW,
        optional_deployment=False,
        automated_update_date=int(client.now()) + 14 * 86_400,
    )


def starts(client: EmulatorClient) -> list[dict[str, Any]]:
    return [e for e in client.requests() if e["operation"] == "StartServiceSoftwareUpdate"]


def mutating(client: EmulatorClient) -> Counter[str]:
    return Counter(
        e["operation"] for e in client.requests() if e["operation"] in MUTATING_OPERATIONS
    )


def test_wave_two_starts_after_wave_one_completes(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed_fleet(client)
    client.set_speed(600.0)
    workspace.extra_env = {**workspace.extra_env, **FAST_POLLING}
    workspace.set_config("waves", WAVES)

    workspace.up()

    started = {entry["domain"]: entry["time"] for entry in starts(client)}
    assert sorted(started) == ["logs-dev", "metrics-dev", "search-prod"]
    assert len(starts(client)) == 3
    # Wave-1 updates complete PENDING_SECONDS + IN_PROGRESS_SECONDS after their Start.
    wave_one_done = max(started["logs-dev"], started["metrics-dev"]) + (
        PENDING_SECONDS + IN_PROGRESS_SECONDS
    )
    assert started["search-prod"] >= wave_one_done

    outputs = workspace.outputs()
    assert outputs["updates"]["logs-dev"]["update_status"] == "COMPLETED"
    assert outputs["updates"]["metrics-dev"]["update_status"] == "COMPLETED"
    assert outputs["updates"]["search-prod"]["update_status"] in ("PENDING_UPDATE", "IN_PROGRESS")
    assert outputs["updates"]["search-prod"]["wave"] == "wave 2 (prod)"
    assert outputs["summary"][0] == "wave 1 (dev): 2 of 2 COMPLETED"


def test_failed_wave_stops_rollout_and_rerun_resumes(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed_fleet(client)
    workspace.extra_env = {**workspace.extra_env, **FAST_POLLING}
    waves = [{**WAVES[0], "completionTimeout": 0.02}, WAVES[1]]
    workspace.set_config("waves", waves)

    with pytest.raises(PulumiCommandError) as caught:
        workspace.up()

    output = caught.value.result.stdout + caught.value.result.stderr
    assert "wave 1 (dev): WaitForCompletion failed for domain 'logs-dev' (Timeout)" in output
    assert "still PENDING_UPDATE" in output
    assert [e for e in client.requests() if e.get("domain") == "search-prod"] == []

    # The fault clears (time passes); the re-run adopts wave 1 and then starts wave 2.
    client.advance(PENDING_SECONDS + IN_PROGRESS_SECONDS + 60)
    workspace.up()

    per_domain = Counter(entry["domain"] for entry in starts(client))
    assert per_domain == Counter({"logs-dev": 1, "metrics-dev": 1, "search-prod": 1})


def test_preview_annotates_with_read_calls_only(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed_fleet(client)
    client.seed_domain(name="metrics-dev", region=REGION, current_version=NEW, new_version=None)
    workspace.set_config("waves", WAVES)
    client.clear_requests()

    preview = workspace.preview()

    assert f"wave 1 (dev): logs-dev: {OLD} -> {NEW}" in preview.stdout
    assert f"wave 1 (dev): metrics-dev: up to date ({NEW})" in preview.stdout
    assert f"wave 2 (prod): search-prod: {OLD} -> {NEW}, required by 20" in preview.stdout
    assert mutating(client) == Counter()
    describes = Counter(
        e["domain"] for e in client.requests() if e["operation"] == "DescribeDomain"
    )
    assert describes == Counter({"logs-dev": 1, "metrics-dev": 1, "search-prod": 1})


def test_preview_without_credentials_warns_once(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed_fleet(client)
    workspace.extra_env = {
        **workspace.extra_env,
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
    }
    workspace.set_config("waves", WAVES)
    client.clear_requests()

    preview = workspace.preview()

    # Pulumi prints each warning in the progress lines and again under Diagnostics.
    diagnostics = preview.stdout.split("Diagnostics:", 1)[1]
    assert diagnostics.count("could not read a domain to annotate this preview") == 1
    assert "wave 1 (dev): logs-dev:" not in preview.stdout
    assert client.requests() == []
