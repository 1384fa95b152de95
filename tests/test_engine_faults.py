"""API faults from the emulator, through the real pulumi CLI.

Throttling, 500s before and after the request is carried out, dropped connections,
domains that vanish mid-run and updates that never finish. The property checked
everywhere: AWS carries out exactly one StartServiceSoftwareUpdate per domain that
needs one, and no Start is sent for a domain once one has been carried out. Figures go
to the reliability report through the ``record`` fixture.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from components.opensearch import aws
from devtools.engine import PulumiCommandError, PulumiWorkspace
from emulator import EmulatorClient

pytestmark = pytest.mark.engine

REGION = "us-east-1"
OLD = "R20250403-P5"
NEW = "R20251106-P2"
START = "StartServiceSoftwareUpdate"
FAST_POLLING = {
    "PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS": "0.2",
    "PULUMI_OPENSEARCH_POLL_MAX_SECONDS": "0.3",
}


def seed(client: EmulatorClient, names: list[str]) -> None:
    for name in names:
        client.seed_domain(name=name, region=REGION, current_version=OLD, new_version=NEW)


def start_now(client: EmulatorClient, workspace: PulumiWorkspace, names: list[str]) -> None:
    """Seed ``names`` with an update available, and declare them with schedule NOW."""
    seed(client, names)
    workspace.set_config("domains", names)
    workspace.set_config("scheduleAt", "NOW")


def applied_starts(client: EmulatorClient) -> Counter[str]:
    return Counter(
        str(entry["domain"])
        for entry in client.requests()
        if entry["operation"] == START and entry["applied"]
    )


def starts_sent(client: EmulatorClient) -> Counter[str]:
    return Counter(str(e["domain"]) for e in client.requests() if e["operation"] == START)


def starts_after_applied(client: EmulatorClient) -> list[str]:
    """Return the domains that got another Start request after one was carried out."""
    applied: set[str] = set()
    repeated: list[str] = []
    for entry in client.requests():
        if entry["operation"] != START:
            continue
        if entry["domain"] in applied:
            repeated.append(str(entry["domain"]))
        if entry["applied"]:
            applied.add(str(entry["domain"]))
    return repeated


def failure_output(error: pytest.ExceptionInfo[PulumiCommandError]) -> str:
    return error.value.result.stdout + error.value.result.stderr


@pytest.mark.slow
def test_fault_storm_starts_each_domain_once(
    client: EmulatorClient, workspace: PulumiWorkspace, record: Callable[..., None]
) -> None:
    eligible = [f"storm-{index:03d}" for index in range(95)]
    current = [f"calm-{index}" for index in range(5)]
    seed(client, eligible)
    for name in current:
        client.seed_domain(name=name, region=REGION, current_version=NEW, new_version=None)
    workspace.set_config("domains", eligible + current)
    workspace.set_config("scheduleAt", "NOW")
    # 30 % throttled, then 5 % of the rest fail with a 500, two fifths of those after
    # the request was carried out. A fixed seed keeps the fault sequence reproducible.
    client.set_faults(
        [
            {"operation": "*", "kind": "throttle", "rate": 0.3},
            {"operation": "*", "kind": "internal", "rate": 0.03},
            {"operation": "*", "kind": "internal_after", "rate": 0.02},
        ],
        seed=2026,
    )

    started = time.monotonic()
    workspace.up()
    seconds = time.monotonic() - started

    assert applied_starts(client) == Counter({name: 1 for name in eligible})
    assert starts_after_applied(client) == []
    injected = client.faults()["injected"]
    requests = len(client.requests())
    client.clear_faults()
    updates = workspace.outputs()["updates"]
    assert sorted(updates) == sorted(eligible + current)
    assert {updates[name]["update_status"] for name in eligible} == {"PENDING_UPDATE"}
    assert sum(sum(kinds.values()) for kinds in injected.values()) > 0
    record(
        domains=len(eligible) + len(current),
        eligible=len(eligible),
        requests=requests,
        injected={op: dict(kinds) for op, kinds in injected.items()},
        starts_sent=sum(starts_sent(client).values()),
        starts_applied=sum(applied_starts(client).values()),
        seconds=round(seconds, 1),
    )


@pytest.mark.slow
def test_persistent_start_failure_stops_then_converges(
    client: EmulatorClient, workspace: PulumiWorkspace, record: Callable[..., None]
) -> None:
    names = ["alpha-dev", "bravo-dev", "charlie-dev"]
    start_now(client, workspace, names)
    client.set_faults([{"operation": START, "domain": "bravo-dev", "kind": "internal"}])

    started = time.monotonic()
    with pytest.raises(PulumiCommandError) as caught:
        workspace.up()
    seconds = time.monotonic() - started

    output = failure_output(caught)
    assert "StartServiceSoftwareUpdate failed for domain 'bravo-dev' (InternalException)" in output
    assert "run pulumi up again later" in output
    assert starts_sent(client)["bravo-dev"] == aws.MAX_ATTEMPTS
    assert applied_starts(client) == Counter({"alpha-dev": 1, "charlie-dev": 1})
    exported = workspace.export()["deployment"]["resources"]
    kept_ids = sorted(r["id"] for r in exported if r["type"].endswith("ServiceSoftwareUpdate"))
    assert kept_ids == ["alpha-dev", "charlie-dev"]
    record(attempts=starts_sent(client)["bravo-dev"], seconds_to_fail=round(seconds, 1))

    client.clear_faults()
    client.clear_requests()
    workspace.up()
    assert applied_starts(client) == Counter({"bravo-dev": 1})
    assert starts_sent(client) == Counter({"bravo-dev": 1})


@pytest.mark.parametrize("kind", ["internal_after", "drop_after"])
def test_lost_start_response_is_not_resent(
    client: EmulatorClient, workspace: PulumiWorkspace, kind: str, record: Callable[..., None]
) -> None:
    names = ["alpha-dev", "bravo-dev", "charlie-dev"]
    start_now(client, workspace, names)
    client.set_faults([{"operation": START, "kind": kind}])

    result = workspace.up()

    assert applied_starts(client) == Counter({name: 1 for name in names})
    assert starts_sent(client) == Counter({name: 1 for name in names})
    assert "treating it as started" in result.stdout
    updates = workspace.outputs()["updates"]
    assert {updates[name]["update_status"] for name in names} == {"PENDING_UPDATE"}
    record(domains=len(names), starts_sent=sum(starts_sent(client).values()))


@pytest.mark.parametrize("kind", ["throttle", "internal", "drop"])
def test_failed_describe_is_retried(
    client: EmulatorClient, workspace: PulumiWorkspace, kind: str
) -> None:
    start_now(client, workspace, ["alpha-dev"])
    client.set_faults([{"operation": "DescribeDomain", "sequence": [kind, kind, kind]}], seed=1)

    workspace.up()

    describes = [e for e in client.requests() if e["operation"] == "DescribeDomain"]
    assert [e["injected"] for e in describes[:4]] == [kind, kind, kind, None]
    assert applied_starts(client) == Counter({"alpha-dev": 1})


@pytest.mark.parametrize("kind", ["internal_after", "drop_after"])
def test_lost_cancel_response_still_destroys(
    client: EmulatorClient, workspace: PulumiWorkspace, kind: str
) -> None:
    seed(client, ["alpha-dev"])
    workspace.set_config("domains", ["alpha-dev"])
    workspace.set_config("desiredStartTime", "2030-01-01T00:00:00Z")
    workspace.set_config("cancelOnDelete", "true")
    workspace.up()
    client.set_faults([{"operation": "CancelServiceSoftwareUpdate", "kind": kind}])

    result = workspace.destroy()

    cancels = [e for e in client.requests() if e["operation"] == "CancelServiceSoftwareUpdate"]
    assert [e["applied"] for e in cancels] == [True]
    assert "nothing is left to cancel" in result.stdout
    assert workspace.export()["deployment"].get("resources") in (None, [])


def test_domain_deleted_mid_run_fails_only_that_domain(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    names = ["alpha-dev", "bravo-dev"]
    start_now(client, workspace, names)
    client.set_faults([{"operation": START, "domain": "bravo-dev", "kind": "not_found"}])

    with pytest.raises(PulumiCommandError) as caught:
        workspace.up()

    output = failure_output(caught)
    assert "failed for domain 'bravo-dev' (ResourceNotFoundException)" in output
    assert applied_starts(client) == Counter({"alpha-dev": 1})
    assert starts_sent(client)["bravo-dev"] == 1

    client.clear_faults()
    client.clear_requests()
    workspace.up()
    assert applied_starts(client) == Counter({"bravo-dev": 1})


def test_stuck_update_times_out_then_adopts(
    client: EmulatorClient, workspace: PulumiWorkspace, record: Callable[..., None]
) -> None:
    seed(client, ["alpha-dev"])
    client.settings(pending_seconds=60, in_progress_seconds=600)
    client.set_speed(600.0)  # one emulated minute per 0.1 s
    client.set_stuck("alpha-dev")
    workspace.extra_env = {**workspace.extra_env, **FAST_POLLING}
    workspace.set_config("domains", ["alpha-dev"])
    workspace.set_config("scheduleAt", "NOW")
    workspace.set_config("waitForCompletion", "true")
    workspace.set_config("completionTimeout", "0.05")  # minutes: 3 s

    with pytest.raises(PulumiCommandError) as caught:
        workspace.up()

    output = failure_output(caught)
    assert "WaitForCompletion failed for domain 'alpha-dev' (Timeout)" in output
    assert "still IN_PROGRESS" in output
    polls = [e for e in client.requests() if e["operation"] in ("DescribeDomain",)]
    record(polls_while_stuck=len(polls))

    client.set_stuck("alpha-dev", stuck=False)
    client.clear_requests()
    workspace.set_config("completionTimeout", "60")
    workspace.up()

    assert starts_sent(client) == Counter()
    assert workspace.outputs()["updates"]["alpha-dev"]["update_status"] == "COMPLETED"


def test_slow_api_still_converges(client: EmulatorClient, workspace: PulumiWorkspace) -> None:
    names = [f"slow-{index}" for index in range(6)]
    start_now(client, workspace, names)
    client.set_faults([{"operation": "*", "kind": "latency", "seconds": 0.3}])

    workspace.up()

    latency: dict[str, Any] = client.faults()["injected"]
    assert sum(kinds.get("latency", 0) for kinds in latency.values()) >= len(names)
    assert applied_starts(client) == Counter({name: 1 for name in names})
