"""The example program through the real pulumi CLI against the emulator.

Every test runs real `pulumi` commands (built by scripts/install-engine.sh) with a local
file backend. The dynamic provider runs in the engine's own provider process and reaches
the emulator over HTTP through AWS_ENDPOINT_URL_OPENSEARCH. Assertions read the
emulator's request log, the stack outputs and the exported state.
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
UPDATE_TYPE = "pulumi-python:dynamic/opensearch:ServiceSoftwareUpdate"


def seed_fleet(client: EmulatorClient) -> None:
    """Seed one optional update, one required update and one current domain."""
    client.seed_domain(name="logs-dev", region=REGION, current_version=OLD, new_version=NEW)
    client.seed_domain(
        name="search-prod",
        region=REGION,
        current_version=OLD,
        new_version=NEW,
        optional_deployment=False,
        automated_update_date=int(client.now()) + 14 * 86_400,
    )
    client.seed_domain(name="metrics-stage", region=REGION, current_version=NEW, new_version=None)


def operations(client: EmulatorClient) -> Counter[tuple[str | None, str]]:
    return Counter((entry.get("domain"), entry["operation"]) for entry in client.requests())


def mutating_calls(client: EmulatorClient) -> list[dict[str, Any]]:
    return [entry for entry in client.requests() if entry["operation"] in MUTATING_OPERATIONS]


def test_lifecycle_preview_up_refresh_destroy(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed_fleet(client)
    workspace.set_config("domains", ["logs-dev", "search-prod", "metrics-stage"])
    workspace.set_config("scheduleAt", "NOW")
    client.clear_requests()

    # Preview: validates and plans, and must not change anything in AWS.
    preview = workspace.preview()
    planned = [line for line in preview.stdout.splitlines() if UPDATE_TYPE in line]
    assert len(planned) == 3
    assert all(line.lstrip().startswith("+") for line in planned)
    assert mutating_calls(client) == []

    # First up: exactly one Start per domain with an update, none for the current one.
    workspace.up()
    calls = operations(client)
    assert calls[("logs-dev", "StartServiceSoftwareUpdate")] == 1
    assert calls[("search-prod", "StartServiceSoftwareUpdate")] == 1
    assert calls[("metrics-stage", "StartServiceSoftwareUpdate")] == 0
    starts = [e for e in mutating_calls(client) if e["operation"] == "StartServiceSoftwareUpdate"]
    assert all(entry["params"].get("ScheduleAt") == "NOW" for entry in starts)

    updates = workspace.outputs()["updates"]
    assert updates["logs-dev"]["update_status"] == "PENDING_UPDATE"
    assert updates["logs-dev"]["new_version"] == NEW
    assert updates["search-prod"]["update_status"] == "PENDING_UPDATE"
    assert updates["search-prod"]["automated_update_date"] is not None
    assert updates["metrics-stage"]["new_version"] is None
    assert updates["metrics-stage"]["update_available"] is False
    assert "No service software update available" in updates["metrics-stage"]["description"]

    # Second up and a preview: nothing to change, nothing sent.
    client.clear_requests()
    workspace.preview("--expect-no-changes")
    workspace.up()
    assert mutating_calls(client) == []

    # Time passes in the emulator; refresh brings the new status into the stack.
    client.advance(2 * 3600)
    workspace.refresh("--run-program")
    updates = workspace.outputs()["updates"]
    for name in ("logs-dev", "search-prod"):
        assert updates[name]["update_status"] == "COMPLETED"
        assert updates[name]["current_version"] == NEW
        assert updates[name]["update_available"] is False
    summary = workspace.outputs()["summary"]
    assert f"logs-dev: {NEW} (up to date)" in summary
    assert mutating_calls(client) == []

    # Destroy removes the resources from state and leaves the domains alone.
    workspace.destroy()
    assert mutating_calls(client) == []
    resources = workspace.export()["deployment"].get("resources") or []
    assert [r for r in resources if r["type"] == UPDATE_TYPE] == []


def test_bad_domain_name_fails_at_preview(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    workspace.set_config("domains", ["Logs_Prod"])
    client.clear_requests()

    with pytest.raises(PulumiCommandError) as caught:
        workspace.preview()

    output = caught.value.result.stdout + caught.value.result.stderr
    assert "domain_name 'Logs_Prod' is invalid" in output
    assert "lowercase letters, digits and hyphens" in output
    assert client.requests() == []


def test_timestamp_in_the_past_fails_at_preview(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    client.seed_domain(name="logs-dev", region=REGION, current_version=OLD, new_version=NEW)
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("desiredStartTime", "2020-01-01T00:00:00Z")
    client.clear_requests()

    with pytest.raises(PulumiCommandError) as caught:
        workspace.preview()

    output = caught.value.result.stdout + caught.value.result.stderr
    assert "is in the past" in output
    assert client.requests() == []


def test_state_holds_small_plain_provider(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    client.seed_domain(name="logs-dev", region=REGION, current_version=OLD, new_version=NEW)
    workspace.set_config("domains", ["logs-dev"])
    workspace.up()

    resources = workspace.export()["deployment"]["resources"]
    update = next(r for r in resources if r["type"] == UPDATE_TYPE)
    provider = update["outputs"]["__provider"]
    assert isinstance(provider, str)  # a secret would be an object with a ciphertext
    assert len(provider) < 100
    assert update["outputs"]["resolved_region"] == REGION
    assert update["id"] == "logs-dev"


def test_refresh_drops_domain_deleted_out_of_band(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    client.seed_domain(name="logs-dev", region=REGION, current_version=OLD, new_version=NEW)
    client.seed_domain(name="search-prod", region=REGION, current_version=OLD, new_version=NEW)
    workspace.set_config("domains", ["logs-dev", "search-prod"])
    workspace.up()

    client.delete_domain(region=REGION, name="logs-dev")
    workspace.refresh()

    resources = workspace.export()["deployment"]["resources"]
    names = sorted(r["id"] for r in resources if r["type"] == UPDATE_TYPE)
    assert names == ["search-prod"]
    workspace.run("config", "set", "--stack", "test", "--path", "domains[0]", "search-prod")
    workspace.run("config", "rm", "--stack", "test", "--path", "domains[1]")
    workspace.destroy()


def test_up_adopts_update_scheduled_by_someone_else(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    client.seed_domain(
        name="logs-dev",
        region=REGION,
        current_version=OLD,
        new_version=NEW,
        update_status="PENDING_UPDATE",
        scheduled_start=int(client.now()) + 3600,
    )
    workspace.set_config("domains", ["logs-dev"])
    client.clear_requests()

    workspace.up()

    assert operations(client)[("logs-dev", "StartServiceSoftwareUpdate")] == 0
    assert workspace.outputs()["updates"]["logs-dev"]["update_status"] == "PENDING_UPDATE"
