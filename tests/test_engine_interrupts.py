"""Interrupted runs and concurrent stacks, through the real pulumi CLI.

`pulumi up` is stopped while it waits for an update (SIGINT or SIGTERM, or its provider
process killed), and two stacks declare the same domain. Afterwards the next `pulumi up`
must adopt the update in flight: AWS never gets a second StartServiceSoftwareUpdate.
Pulumi starts each plugin in a process group of its own, so a signal to `pulumi` never
reaches the provider process directly. The tests therefore signal `pulumi` alone.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from devtools.engine import PulumiWorkspace
from emulator import EmulatorClient

pytestmark = pytest.mark.engine

REGION = "us-east-1"
OLD = "R20250403-P5"
NEW = "R20251106-P2"
DOMAIN = "logs-dev"
START = "StartServiceSoftwareUpdate"
UPDATE_TYPE = "pulumi-python:dynamic/opensearch:ServiceSoftwareUpdate"
FAST_POLLING = {
    "PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS": "0.2",
    "PULUMI_OPENSEARCH_POLL_MAX_SECONDS": "0.3",
}
# Seconds to wait for a state in the emulator log, or for pulumi to exit after a signal.
WAIT_SECONDS = 60


def start_up(workspace: PulumiWorkspace, *extra: str) -> subprocess.Popen[str]:
    """Start `pulumi up` in the background, as a user's terminal or CI job would."""
    return subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--stack", workspace.stack, *extra],
        cwd=workspace.project_dir,
        env=workspace.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition: Callable[[], bool], description: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT_SECONDS} s waiting for {description}")
        time.sleep(0.1)


def polling_after_start(client: EmulatorClient) -> bool:
    """Whether a Start was carried out and the provider has polled the domain since."""
    entries = client.requests()
    applied = [e["seq"] for e in entries if e["operation"] == START and e["applied"]]
    return bool(applied) and any(
        e["operation"] == "DescribeDomain" and e["seq"] > applied[0] for e in entries
    )


def starts(client: EmulatorClient) -> Counter[bool]:
    """Start requests by whether the emulator carried them out."""
    return Counter(bool(e["applied"]) for e in client.requests() if e["operation"] == START)


def descendants(pid: int) -> list[int]:
    """Return the processes below ``pid``, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def provider_processes(pid: int) -> list[int]:
    """Return the dynamic-provider processes (`python -m pulumi.dynamic`) below ``pid``."""
    found = []
    for child in descendants(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"pulumi.dynamic" in command:
            found.append(child)
    return found


def prepare_waiting_stack(client: EmulatorClient, workspace: PulumiWorkspace) -> None:
    """One domain whose update stays IN_PROGRESS until released, and a stack waiting on it."""
    client.seed_domain(name=DOMAIN, region=REGION, current_version=OLD, new_version=NEW)
    client.settings(pending_seconds=1, in_progress_seconds=60)
    client.set_speed(60.0)
    client.set_stuck(DOMAIN)
    workspace.extra_env = {**workspace.extra_env, **FAST_POLLING}
    workspace.set_config("domains", [DOMAIN])
    workspace.set_config("scheduleAt", "NOW")
    workspace.set_config("waitForCompletion", "true")


def update_resources(workspace: PulumiWorkspace) -> list[str]:
    resources = workspace.export()["deployment"].get("resources") or []
    return [r["id"] for r in resources if r["type"] == UPDATE_TYPE]


def pending_operations(workspace: PulumiWorkspace) -> list[str]:
    pending = workspace.export()["deployment"].get("pending_operations") or []
    return [str(operation["type"]) for operation in pending]


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_forced_stop_during_wait_then_up_adopts(
    client: EmulatorClient, workspace: PulumiWorkspace, name: str, record: Callable[..., None]
) -> None:
    """Two signals: the first requests a cancel, the second makes pulumi terminate at once."""
    prepare_waiting_stack(client, workspace)
    process = start_up(workspace, "--non-interactive")
    wait_until(lambda: polling_after_start(client), "the provider to poll after its Start")

    process.send_signal(getattr(signal, name))
    time.sleep(1)
    process.send_signal(getattr(signal, name))
    output, _ = process.communicate(timeout=WAIT_SECONDS)

    assert process.returncode != 0
    assert "terminating" in output
    # The create never finished, so the state records it as an interrupted operation
    # and contains no resource for it: nothing claims an outcome that is not known.
    assert update_resources(workspace) == []
    assert pending_operations(workspace) == ["creating"]
    assert starts(client) == Counter({True: 1})
    # Pulumi leaves the provider process behind. Its waiter notices at the next poll
    # (0.3 s here) that the engine is gone, and stops calling AWS.
    last = max(int(e["seq"]) for e in client.requests())
    time.sleep(3)
    late = [e["operation"] for e in client.requests() if int(e["seq"]) > last]
    assert len(late) <= 1, f"the provider kept calling AWS after pulumi exited: {late}"

    client.set_stuck(DOMAIN, stuck=False)
    client.advance(3600)
    client.clear_requests()
    result = workspace.up()

    assert starts(client) == Counter()
    assert workspace.outputs()["updates"][DOMAIN]["update_status"] == "COMPLETED"
    assert "interrupted while creating" in result.stdout

    # The documented clean-up drops the stale record; nothing else changes.
    workspace.refresh("--clear-pending-creates")
    assert pending_operations(workspace) == []
    assert update_resources(workspace) == [DOMAIN]
    preview = workspace.preview()
    assert "pending operations" not in preview.stdout
    record(signal=name, exit_code=process.returncode, calls_after_exit=len(late))


def test_first_ctrl_c_waits_for_update_in_flight(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    """One SIGINT to an interactive `pulumi up` lets the running create finish."""
    prepare_waiting_stack(client, workspace)
    process = start_up(workspace)
    wait_until(lambda: polling_after_start(client), "the provider to poll after its Start")

    process.send_signal(signal.SIGINT)
    time.sleep(2)
    assert process.poll() is None, "pulumi exited before the create finished"
    client.set_stuck(DOMAIN, stuck=False)
    client.advance(3600)
    output, _ = process.communicate(timeout=WAIT_SECONDS)

    # The program was cancelled, so the run fails, but the create it waited for is saved.
    assert process.returncode != 0, output
    assert update_resources(workspace) == [DOMAIN]
    assert pending_operations(workspace) == []
    client.clear_requests()
    workspace.up()
    assert starts(client) == Counter()
    assert workspace.outputs()["updates"][DOMAIN]["update_status"] == "COMPLETED"


def test_killed_provider_then_up_converges(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    prepare_waiting_stack(client, workspace)
    process = start_up(workspace, "--non-interactive")
    wait_until(lambda: polling_after_start(client), "the provider to poll after its Start")
    providers = provider_processes(process.pid)
    assert providers, "no `python -m pulumi.dynamic` process below pulumi"

    for pid in providers:
        os.kill(pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=WAIT_SECONDS)

    assert process.returncode != 0
    assert "error reading from server" in output
    assert update_resources(workspace) == []
    assert pending_operations(workspace) == []

    client.set_stuck(DOMAIN, stuck=False)
    client.advance(3600)
    client.clear_requests()
    workspace.up()

    assert starts(client) == Counter()
    assert workspace.outputs()["updates"][DOMAIN]["update_status"] == "COMPLETED"


def second_stack(workspace: PulumiWorkspace) -> PulumiWorkspace:
    """Another stack of the same project and backend, initialised."""
    other = dataclasses.replace(workspace, stack="second")
    other.init_stack({"aws:region": REGION})
    return other


def test_second_stack_adopts_started_update(
    client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    client.seed_domain(name=DOMAIN, region=REGION, current_version=OLD, new_version=NEW)
    other = second_stack(workspace)
    for stack in (workspace, other):
        stack.set_config("domains", [DOMAIN])
        stack.set_config("scheduleAt", "NOW")

    workspace.up()
    other.up()

    assert starts(client) == Counter({True: 1})
    for stack in (workspace, other):
        assert stack.outputs()["updates"][DOMAIN]["update_status"] == "PENDING_UPDATE"
    other.remove_stack()


def test_two_stacks_at_once_start_once(
    client: EmulatorClient, workspace: PulumiWorkspace, record: Callable[..., None]
) -> None:
    names = [f"shared-{index}" for index in range(8)]
    for name in names:
        client.seed_domain(name=name, region=REGION, current_version=OLD, new_version=NEW)
    other = second_stack(workspace)
    for stack in (workspace, other):
        stack.set_config("domains", names)
        stack.set_config("scheduleAt", "NOW")

    # A second of latency on each Start makes both stacks describe the domains before
    # either Start is carried out, which is the race that could start an update twice.
    client.set_faults([{"operation": START, "kind": "latency", "seconds": 1.0}])
    processes = [start_up(stack, "--non-interactive") for stack in (workspace, other)]
    outputs = [process.communicate(timeout=300)[0] for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    applied = Counter(
        e["domain"] for e in client.requests() if e["operation"] == START and e["applied"]
    )
    assert applied == Counter({name: 1 for name in names})
    for stack in (workspace, other):
        updates = stack.outputs()["updates"]
        assert {updates[name]["update_status"] for name in names} == {"PENDING_UPDATE"}
    rejected = starts(client)[False]
    assert rejected > 0, "the stacks never raced; the test proves nothing"
    record(domains=len(names), starts_applied=len(names), starts_rejected=rejected)
    other.remove_stack()
