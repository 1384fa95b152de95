"""The full update lifecycle through the real pulumi CLI against the emulator.

Rescheduling, waiting, timeouts, cancellation, keeping current, slot errors, schedule
rules, import, credentials in state and the region kept in state. Each test asserts on
the emulator's request log: which calls went out, how many, and with what parameters.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from components.opensearch.schedule import format_epoch_milliseconds
from devtools.engine import PulumiCommandError, PulumiWorkspace
from emulator import MUTATING_OPERATIONS, EmulatorClient

pytestmark = pytest.mark.engine

REGION = "us-east-1"
OLD = "R20250403-P5"
NEW = "R20251106-P2"
NEWER = "R20260210-P1"
DAY_MS = 86_400_000
UPDATE_TYPE = "pulumi-python:dynamic/opensearch:ServiceSoftwareUpdate"


def calls(client: EmulatorClient, operation: str) -> list[dict[str, Any]]:
    return [entry for entry in client.requests() if entry["operation"] == operation]


def mutating(client: EmulatorClient) -> Counter[str]:
    return Counter(
        entry["operation"]
        for entry in client.requests()
        if entry["operation"] in MUTATING_OPERATIONS
    )


def failure_output(error: pytest.ExceptionInfo[PulumiCommandError]) -> str:
    return error.value.result.stdout + error.value.result.stderr


def seed(client: EmulatorClient, name: str = "logs-dev", **extra: Any) -> None:
    client.seed_domain(name=name, region=REGION, current_version=OLD, new_version=NEW, **extra)


def future_ms(client: EmulatorClient, days: int) -> int:
    return int(client.now() * 1000) + days * DAY_MS


def test_changed_time_moves_pending_update(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(client)
    first, second = future_ms(client, 1), future_ms(client, 2)
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("desiredStartTime", str(first))
    workspace.up()
    starts = calls(client, "StartServiceSoftwareUpdate")
    assert len(starts) == 1
    assert starts[0]["params"]["ScheduleAt"] == "TIMESTAMP"
    assert starts[0]["params"]["DesiredStartTime"] == first

    workspace.set_config("desiredStartTime", str(second))
    client.clear_requests()
    preview = workspace.preview()
    assert "desired_start_time" in preview.stdout
    assert mutating(client) == Counter()

    workspace.up()
    assert mutating(client) == Counter({"UpdateScheduledAction": 1})
    moved = calls(client, "UpdateScheduledAction")[0]["params"]
    assert moved["ActionID"] == NEW
    assert moved["DesiredStartTime"] == second

    workspace.refresh("--run-program")
    status = workspace.outputs()["updates"]["logs-dev"]
    assert status["update_status"] == "PENDING_UPDATE"
    assert status["scheduled_start_time"] == format_epoch_milliseconds(second)


def test_wait_for_completion_returns_completed(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(client)
    client.settings(pending_seconds=60, in_progress_seconds=600)
    client.set_speed(600.0)  # one emulated minute per 0.1 s
    workspace.extra_env = {
        **workspace.extra_env,
        "PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS": "0.2",
        "PULUMI_OPENSEARCH_POLL_MAX_SECONDS": "0.5",
    }
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("waitForCompletion", "true")

    result = workspace.up()

    status = workspace.outputs()["updates"]["logs-dev"]
    assert status["update_status"] == "COMPLETED"
    assert status["current_version"] == NEW
    assert len(calls(client, "StartServiceSoftwareUpdate")) == 1
    # About 1.1 s of emulated update time at one poll per 0.2 to 0.6 s.
    assert 2 <= len(calls(client, "DescribeDomain")) <= 15
    assert "status PENDING_UPDATE -> IN_PROGRESS" in result.stdout


def test_timeout_then_next_up_adopts(client: EmulatorClient, workspace: PulumiWorkspace) -> None:
    seed(client)
    workspace.extra_env = {
        **workspace.extra_env,
        "PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS": "0.2",
        "PULUMI_OPENSEARCH_POLL_MAX_SECONDS": "0.2",
    }
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("waitForCompletion", "true")
    workspace.set_config("completionTimeout", "0.02")

    with pytest.raises(PulumiCommandError) as caught:
        workspace.up()

    output = failure_output(caught)
    assert "WaitForCompletion failed for domain 'logs-dev' (Timeout)" in output
    assert "still PENDING_UPDATE after 0.02 minutes" in output
    assert "run pulumi up again to adopt it" in output
    assert len(calls(client, "StartServiceSoftwareUpdate")) == 1

    client.advance(3600)
    workspace.up()
    assert len(calls(client, "StartServiceSoftwareUpdate")) == 1
    assert workspace.outputs()["updates"]["logs-dev"]["current_version"] == NEW


def test_cancel_on_delete_cancels_pending(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(client)
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("desiredStartTime", str(future_ms(client, 3)))
    workspace.set_config("cancelOnDelete", "true")
    workspace.up()
    client.clear_requests()

    workspace.destroy()

    assert mutating(client) == Counter({"CancelServiceSoftwareUpdate": 1})
    assert calls(client, "CancelServiceSoftwareUpdate")[0]["params"] == {"DomainName": "logs-dev"}


def test_required_update_is_not_cancelled(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(
        client,
        optional_deployment=False,
        automated_update_date=int(client.now()) + 10 * 86_400,
    )
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("desiredStartTime", str(future_ms(client, 3)))
    workspace.set_config("cancelOnDelete", "true")
    workspace.up()
    client.clear_requests()

    result = workspace.destroy()

    assert mutating(client) == Counter()
    assert "only optional updates be cancelled" in result.stdout


def test_refresh_finds_new_release_and_up_starts_it(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(client)
    workspace.set_config("domains", ["logs-dev"])
    workspace.up()
    client.advance(3600)
    workspace.refresh()
    client.clear_requests()

    # Nothing new: up --refresh changes nothing.
    workspace.up("--refresh")
    assert mutating(client) == Counter()

    # AWS releases another version; the next up --refresh starts it once.
    client.seed_domain(name="logs-dev", region=REGION, current_version=NEW, new_version=NEWER)
    workspace.up("--refresh")
    assert mutating(client) == Counter({"StartServiceSoftwareUpdate": 1})
    assert workspace.outputs()["updates"]["logs-dev"]["new_version"] == NEWER


def test_slot_error_lists_suggested_times(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(client)
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("desiredStartTime", str(future_ms(client, 1)))
    workspace.up()
    suggestion = future_ms(client, 4) // 3_600_000 * 3_600_000
    client.set_slots("logs-dev", region=REGION, unavailable=True, suggestions=[suggestion])
    workspace.set_config("desiredStartTime", str(future_ms(client, 2)))
    client.clear_requests()

    with pytest.raises(PulumiCommandError) as caught:
        workspace.up()

    output = failure_output(caught)
    assert "UpdateScheduledAction failed for domain 'logs-dev' (SlotNotAvailableException)" in (
        output
    )
    assert "suggested start times (UTC): 20" in output
    # Only the host's own frames precede the message: no botocore frames, no causes.
    assert "botocore/client.py" not in output
    assert "direct cause" not in output
    assert mutating(client) == Counter({"UpdateScheduledAction": 1})


def test_off_peak_window_disabled_fails_at_preview(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(client, off_peak_window_enabled=False)
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("scheduleAt", "OFF_PEAK_WINDOW")
    client.clear_requests()

    with pytest.raises(PulumiCommandError) as caught:
        workspace.preview()

    output = failure_output(caught)
    assert "off-peak window of domain 'logs-dev', which is disabled" in output
    assert mutating(client) == Counter()


def test_time_after_required_deadline_fails_at_preview(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(
        client,
        optional_deployment=False,
        automated_update_date=int(client.now()) + 2 * 86_400,
    )
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("desiredStartTime", str(future_ms(client, 5)))
    client.clear_requests()

    with pytest.raises(PulumiCommandError) as caught:
        workspace.preview()

    output = failure_output(caught)
    assert "when AWS applies the required update R20251106-P2 to 'logs-dev' itself" in output
    assert mutating(client) == Counter()


def test_cli_import_fails_and_leaves_state_alone(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    """`pulumi import` cannot load a dynamic provider; the README documents declaring instead."""
    seed(client)
    client.clear_requests()

    result = workspace.run(
        "import", UPDATE_TYPE, "logs-dev", "logs-dev", "--yes", "--stack", "test", check=False
    )

    assert result.returncode != 0
    resources = workspace.export()["deployment"].get("resources") or []
    assert [r for r in resources if r["type"] == UPDATE_TYPE] == []
    assert client.requests() == []


def test_assumed_role_credentials_stay_out_of_state(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(client)
    workspace.extra_env = {**workspace.extra_env, "AWS_ENDPOINT_URL_STS": client.url}
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("roleArn", "arn:aws:iam::123456789012:role/opensearch-updates")

    result = workspace.up()

    assert len(calls(client, "StartServiceSoftwareUpdate")) == 1
    exported = json.dumps(workspace.export())
    for secret in (
        workspace.extra_env["AWS_ACCESS_KEY_ID"],
        workspace.extra_env["AWS_SECRET_ACCESS_KEY"],
        "ASIA",  # the prefix of temporary access keys that AssumeRole returns
        "SessionToken",
    ):
        assert secret not in exported
        assert secret not in result.stdout
    assert "arn:aws:iam::123456789012:role/opensearch-updates" in exported


def test_refresh_and_destroy_use_region_from_state(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    seed(client)
    workspace.set_config("domains", ["logs-dev"])
    workspace.up()
    workspace.set_config("aws:region", "eu-west-1")
    client.clear_requests()

    workspace.refresh()
    workspace.destroy()

    regions = {entry["region"] for entry in client.requests()}
    assert regions == {REGION}
