"""Benchmark the example program against the engine floor and the API floor.

Run ``python -m devtools.bench --sizes 1,10,100 --runs 3`` (or ``make bench``). For each
size N it runs, on one in-process emulator and in the same session:

1. the example program with N domains (``domains`` = N names, ``scheduleAt`` NOW);
2. the engine floor: a generated Pulumi project with N no-op dynamic resources that take
   the same inputs and call nothing;
3. the API floor: a plain boto3 loop making the minimum calls for the same work.

Each run of (1) and (2) uses a fresh stack and a freshly reset emulator, and times
``pulumi preview``, ``up``, ``refresh`` and ``destroy``. A separate scenario measures
polling while ``wait_for_completion`` waits. The report is Markdown on stdout and,
with ``--output``, in a file. Progress lines go to stderr.

``--smoke`` (for CI) runs N=10 once and exits 1 only when a deterministic target is
missed or a time ratio exceeds a loose 3x bound.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3

from devtools.engine import (
    REPO_ROOT,
    PulumiCommandError,
    PulumiWorkspace,
    copy_project,
    emulator_environment,
    ensure_engine,
)
from emulator import MUTATING_OPERATIONS, EmulatorClient, EmulatorServer

REGION = "us-east-1"
OLD_VERSION = "R20250403-P5"
NEW_VERSION = "R20251106-P2"
UPDATE_TYPE = "pulumi-python:dynamic/opensearch:ServiceSoftwareUpdate"
FLOOR_TYPE = "pulumi-python:dynamic/bench:NoopUpdate"
STACK = "bench"
COMMANDS = ("preview", "up", "refresh", "destroy")
# The commands whose time the targets bound relative to the engine floor.
TIMED_TARGET_COMMANDS = ("preview", "up", "refresh")
COMMAND_TIMEOUT_SECONDS = 1800.0

# Targets, checked at the size TARGET_SIZE (or the largest size run, if smaller).
TARGET_SIZE = 100
TIME_RATIO_TARGET = 1.3
# --smoke fails only above this ratio, because single runs on two shared cores are noisy.
SMOKE_TIME_RATIO_BOUND = 3.0
CREATE_CALLS_TARGET = 2.0
REFRESH_CALLS_TARGET = 1.0
PROVIDER_BYTES_TARGET = 100
STATE_BYTES_TARGET = 1500
POLL_REAL_SECONDS_TARGET = 30.0
SMOKE_SIZE = 10

# The emulator keeps a NOW update PENDING_UPDATE for this long (emulated seconds), longer
# than any lifecycle here, so every refresh reads the same status at every size.
LIFECYCLE_PENDING_SECONDS = 3600.0

# Polling scenario: the emulator clock runs POLL_SPEED times real time, and the update
# stays IN_PROGRESS for POLL_IN_PROGRESS_REAL_SECONDS of real time. That is long enough
# for the default backoff (10 s, 20 s, then 30 to 36 s) to reach its cap, and short
# enough for `up` to end within 2 minutes.
POLL_SPEED = 120.0
# The dynamic-provider host of the Pulumi Python SDK (3.272) serves at most 4 calls at a
# time (ThreadPoolExecutor(max_workers=4) in pulumi/dynamic/__main__.py), and each wait
# occupies one. More domains would wait in batches of 4 and take longer than 2 minutes.
POLL_DOMAINS = 4
POLL_PENDING_SECONDS = 60.0
POLL_IN_PROGRESS_REAL_SECONDS = 75.0
# Default PollSettings of components/opensearch/waiter.py: a 30 s cap, stretched by up
# to 20 % jitter, reached after the 10 s and 20 s delays.
POLL_CAP_SECONDS = 30.0
POLL_CAP_WITH_JITTER_SECONDS = 36.0
POLL_BACKOFF_INTERVALS = 2

RSS_SAMPLE_SECONDS = 0.05

FLOOR_PROVIDER_MODULE = '''\
"""No-op dynamic provider: the engine floor for the benchmark. It makes no AWS call."""

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

INPUT_KEYS = (
    "domain_name", "region", "schedule_at", "desired_start_time", "wait_for_completion",
    "completion_timeout", "cancel_on_delete", "triggers", "profile", "role_arn", "wave",
)
# Outputs of the same keys and of similar size as ServiceSoftwareUpdate's.
FIXED_OUTPUTS = {
    "current_version": "R20250403-P5",
    "new_version": "R20251106-P2",
    "update_available": False,
    "update_status": "PENDING_UPDATE",
    "cancellable": True,
    "description": "An update to release R20251106-P2 has been requested and is pending.",
    "automated_update_date": None,
    "optional_deployment": True,
    "off_peak_window_enabled": True,
    "scheduled_start_time": None,
    "resolved_region": "us-east-1",
}


class NoopProvider(ResourceProvider):
    serialize_as_secret_always = False

    def __reduce__(self) -> Any:
        return (new_provider, ())

    def check(self, olds: Any, news: Any) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, olds: Any, news: Any) -> DiffResult:
        changed = any(olds.get(key) != news.get(key) for key in INPUT_KEYS)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: Any) -> CreateResult:
        return CreateResult(props["domain_name"], {**props, **FIXED_OUTPUTS})

    def read(self, id_: str, props: Any) -> ReadResult:
        return ReadResult(id_, props)

    def update(self, _id: str, olds: Any, news: Any) -> UpdateResult:
        return UpdateResult({**news, **FIXED_OUTPUTS})

    def delete(self, id_: str, props: Any) -> None:
        pass


def new_provider() -> NoopProvider:
    return NoopProvider()


_PROVIDER = NoopProvider()


class NoopUpdate(Resource, module="bench", name="NoopUpdate"):
    def __init__(self, name: str, domain_name: str, schedule_at: Any) -> None:
        props = dict.fromkeys(INPUT_KEYS)
        props.update(dict.fromkeys(FIXED_OUTPUTS))
        props["domain_name"] = domain_name
        props["schedule_at"] = schedule_at
        super().__init__(_PROVIDER, name, props)
'''

FLOOR_PROGRAM = '''\
"""Engine floor: the example program's stack shape with no-op resources."""

import pulumi

from bench_floor_provider import NoopUpdate

config = pulumi.Config()
updates = {}
summary = []
for name in config.require_object("domains"):
    update = NoopUpdate(name, domain_name=name, schedule_at=config.get("scheduleAt"))
    updates[name] = pulumi.Output.all(
        current_version=update.current_version,
        new_version=update.new_version,
        update_status=update.update_status,
        update_available=update.update_available,
        automated_update_date=update.automated_update_date,
        scheduled_start_time=update.scheduled_start_time,
        description=update.description,
    )
    summary.append(
        pulumi.Output.all(update.domain_name, update.current_version, update.new_version)
        .apply(lambda values: f"{values[0]}: {values[1]} -> {values[2]}")
    )
pulumi.export("updates", updates)
pulumi.export("summary", summary)
'''


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- measurements ------------------------------------------------------------------------


@dataclass
class CommandResult:
    """One pulumi command: its wall time and the API calls the emulator logged."""

    seconds: float
    calls: Counter[str]
    first_call_after_start: float | None = None
    peak_rss_bytes: int | None = None


@dataclass(frozen=True)
class StateSize:
    """Bytes of one resource in `pulumi stack export`, as compact JSON."""

    whole: int
    # Without the stackTrace and sourcePosition that the Pulumi Python SDK records for
    # every resource (the call stack of its constructor); no provider can shrink those.
    without_trace: int
    # Only the inputs and outputs, the part the provider decides.
    properties: int


@dataclass
class LifecycleResult:
    """One run of preview, up, refresh and destroy on a fresh stack."""

    commands: dict[str, CommandResult]
    state: StateSize
    provider_chars: int


@dataclass
class ApiFloorResult:
    """One run of the boto3 loop: seconds and calls per operation (preview makes none)."""

    seconds: dict[str, float]
    calls: dict[str, Counter[str]]


@dataclass
class SizeResult:
    """All runs at one size N."""

    size: int
    product: list[LifecycleResult] = field(default_factory=list)
    floor: list[LifecycleResult] = field(default_factory=list)
    api: list[ApiFloorResult] = field(default_factory=list)


@dataclass
class PollingResult:
    """The wait_for_completion scenario, in real seconds unless named otherwise."""

    speed: float
    domains: int
    in_progress_emulated_seconds: float
    up_seconds: float
    calls_per_domain_per_emulated_hour: float
    steady_intervals: list[float]
    notice_delays: list[float]
    last_intervals: list[float]
    # Real seconds from the first StartServiceSoftwareUpdate to the last one.
    start_spread: float


class RssSampler:
    """Sample the RSS of the dynamic-provider processes below one process, every 50 ms.

    Only descendants of ``root_pid`` count, so another stack's provider running on the
    same machine at the same time is not measured.
    """

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in _descendants(self.root_pid):
                if b"pulumi.dynamic" in _read_bytes(Path(f"/proc/{pid}/cmdline")):
                    self.peak_bytes = max(self.peak_bytes, _rss_bytes(pid))
            self._stop.wait(RSS_SAMPLE_SECONDS)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _descendants(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read_bytes(entry / "stat")
        # The command name in brackets may contain spaces, so split after its last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [root_pid]
    while pending:
        pid = pending.pop()
        for child in children.get(pid, []):
            found.append(child)
            pending.append(child)
    return found


def _rss_bytes(pid: int) -> int:
    for line in _read_bytes(Path(f"/proc/{pid}/status")).decode(errors="replace").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _pulumi_arguments(command: str) -> list[str]:
    if command == "preview":
        return ["preview", "--stack", STACK, "--non-interactive"]
    return [command, "--yes", "--skip-preview", "--stack", STACK, "--non-interactive"]


def run_command(
    workspace: PulumiWorkspace, client: EmulatorClient, command: str, *, sample_rss: bool
) -> CommandResult:
    """Run one pulumi command, timing it and reading the emulator log it produced."""
    client.clear_requests()
    arguments = _pulumi_arguments(command)
    log_path = workspace.state_dir / f"{command}.log"
    with log_path.open("w", encoding="utf-8") as log:
        wall_start = time.time()
        started = time.perf_counter()
        process = subprocess.Popen(
            ["pulumi", *arguments],
            cwd=workspace.project_dir,
            env=workspace.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        peak: int | None = None
        if sample_rss:
            with RssSampler(process.pid) as sampler:
                returncode = wait_exactly(process, COMMAND_TIMEOUT_SECONDS)
            peak = sampler.peak_bytes
        else:
            returncode = wait_exactly(process, COMMAND_TIMEOUT_SECONDS)
        seconds = time.perf_counter() - started
    if returncode != 0:
        output = log_path.read_text(encoding="utf-8")
        result = subprocess.CompletedProcess(arguments, returncode, output, "")
        raise PulumiCommandError(arguments, result)

    entries = client.requests()
    calls = Counter(str(entry["operation"]) for entry in entries)
    # The lifecycle runs the emulator clock at speed 1 from a reset, which anchors it on
    # real time, so a log entry's time is its real arrival time.
    first = min((float(entry["time"]) for entry in entries), default=None)
    return CommandResult(
        seconds=seconds,
        calls=calls,
        first_call_after_start=None if first is None else first - wall_start,
        peak_rss_bytes=peak,
    )


def wait_exactly(process: subprocess.Popen[str], timeout: float) -> int:
    """Wait for ``process`` to exit, killing it after ``timeout`` seconds, and return its code.

    Popen.wait(timeout=...) polls with sleeps of up to 50 ms, which rounded every measured
    time up to the next step of about 50 ms: up to 4 % of a 1.2 s refresh. A blocking
    wait returns when the process exits, and a timer thread enforces the timeout.
    """
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        process.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        returncode = process.wait()
    finally:
        timer.cancel()
    if expired.is_set():
        raise subprocess.TimeoutExpired(process.args, timeout)
    return returncode


def domain_names(size: int) -> list[str]:
    return [f"bench-{index:04d}" for index in range(size)]


def seed(client: EmulatorClient, size: int, *, speed: float, pending_seconds: float) -> None:
    """Reset the emulator and seed ``size`` domains that each have an update available."""
    client.reset()
    client.set_speed(speed)
    client.settings(pending_seconds=pending_seconds)
    for name in domain_names(size):
        client.seed_domain(
            name=name, region=REGION, current_version=OLD_VERSION, new_version=NEW_VERSION
        )
    client.clear_requests()


def write_floor_project(folder: Path) -> Path:
    """Generate the engine-floor project; its provider module is importable from ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    venv_dir = Path(sys.executable).parent.parent
    (folder / "Pulumi.yaml").write_text(
        "name: bench-floor\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    toolchain: pip\n"
        f"    virtualenv: {venv_dir}\n",
        encoding="utf-8",
    )
    (folder / "__main__.py").write_text(FLOOR_PROGRAM, encoding="utf-8")
    (folder / "bench_floor_provider.py").write_text(FLOOR_PROVIDER_MODULE, encoding="utf-8")
    return folder


def make_workspace(
    project_dir: Path, state_dir: Path, client: EmulatorClient, python_path: str
) -> PulumiWorkspace:
    environment = emulator_environment(client.url, REGION)
    environment["PYTHONPATH"] = python_path
    return PulumiWorkspace(
        project_dir=project_dir, state_dir=state_dir, stack=STACK, extra_env=environment
    )


def run_lifecycle(
    kind: str,
    *,
    project_dir: Path,
    resource_type: str,
    python_path: str,
    client: EmulatorClient,
    size: int,
    label: str,
    work_dir: Path,
) -> LifecycleResult:
    """Seed, then preview, up, refresh and destroy a fresh stack; return what was measured."""
    seed(client, size, speed=1.0, pending_seconds=LIFECYCLE_PENDING_SECONDS)
    state_dir = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=work_dir))
    workspace = make_workspace(project_dir, state_dir, client, python_path)
    workspace.init_stack({"aws:region": REGION})
    workspace.set_config("domains", domain_names(size))
    workspace.set_config("scheduleAt", "NOW")

    commands: dict[str, CommandResult] = {}
    state = StateSize(0, 0, 0)
    provider_chars = 0
    for command in COMMANDS:
        progress(f"{label}: {kind}: pulumi {command} ...")
        commands[command] = run_command(workspace, client, command, sample_rss=command == "up")
        if command == "up":
            state, provider_chars = _state_sizes(workspace, resource_type)
    shutil.rmtree(state_dir, ignore_errors=True)
    return LifecycleResult(commands, state, provider_chars)


def _state_sizes(workspace: PulumiWorkspace, resource_type: str) -> tuple[StateSize, int]:
    """Return the largest state of one resource and the longest serialized provider."""
    resources = workspace.export()["deployment"].get("resources") or []
    mine = [resource for resource in resources if resource["type"] == resource_type]
    if not mine:
        raise RuntimeError(f"no resource of type {resource_type} in the exported state")
    sizes = [
        StateSize(
            whole=_json_bytes(resource),
            without_trace=_json_bytes(
                {
                    key: value
                    for key, value in resource.items()
                    if key not in ("stackTrace", "sourcePosition")
                }
            ),
            properties=_json_bytes(
                {"inputs": resource.get("inputs"), "outputs": resource.get("outputs")}
            ),
        )
        for resource in mine
    ]
    providers = [len(str(resource["outputs"].get("__provider", ""))) for resource in mine]
    return max(sizes, key=lambda size: size.whole), max(providers)


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def run_api_floor(client: EmulatorClient, size: int) -> ApiFloorResult:
    """Time the minimum boto3 calls: create and refresh (preview and destroy make none)."""
    seed(client, size, speed=1.0, pending_seconds=LIFECYCLE_PENDING_SECONDS)
    # Created before timing: a client costs the same in any program.
    opensearch = boto3.client("opensearch", region_name=REGION)
    names = domain_names(size)
    seconds: dict[str, float] = {}
    calls: dict[str, Counter[str]] = {}

    def timed(operation: str, body: Callable[[], None]) -> None:
        client.clear_requests()
        started = time.perf_counter()
        body()
        seconds[operation] = time.perf_counter() - started
        calls[operation] = Counter(str(entry["operation"]) for entry in client.requests())

    def create() -> None:
        for name in names:
            opensearch.describe_domain(DomainName=name)
            opensearch.start_service_software_update(DomainName=name, ScheduleAt="NOW")

    def refresh() -> None:
        for name in names:
            opensearch.describe_domain(DomainName=name)

    timed("up", create)
    timed("refresh", refresh)
    seconds["preview"] = 0.0
    seconds["destroy"] = 0.0
    calls["preview"] = Counter()
    calls["destroy"] = Counter()
    return ApiFloorResult(seconds, calls)


def run_polling(client: EmulatorClient, work_dir: Path, product_path: Path) -> PollingResult:
    """Run `up` with wait_for_completion on a fast clock and measure the polling."""
    in_progress = POLL_IN_PROGRESS_REAL_SECONDS * POLL_SPEED
    seed(client, POLL_DOMAINS, speed=POLL_SPEED, pending_seconds=POLL_PENDING_SECONDS)
    client.settings(in_progress_seconds=in_progress)
    project_dir = copy_project(work_dir / "polling-project")
    workspace = make_workspace(project_dir, work_dir / "polling-state", client, str(product_path))
    workspace.init_stack({"aws:region": REGION})
    workspace.set_config("domains", domain_names(POLL_DOMAINS))
    workspace.set_config("scheduleAt", "NOW")
    workspace.set_config("waitForCompletion", "true")
    client.clear_requests()

    progress(
        f"polling: pulumi up with waitForCompletion, {POLL_DOMAINS} domains, clock speed "
        f"{POLL_SPEED:g}, about {POLL_IN_PROGRESS_REAL_SECONDS + 45:.0f} s ..."
    )
    started = time.perf_counter()
    workspace.up()
    up_seconds = time.perf_counter() - started
    return summarize_polling(client.requests(), in_progress, up_seconds)


def described_domains(entry: dict[str, Any]) -> list[str]:
    """Names a log entry describes: one for DescribeDomain, up to 5 for DescribeDomains."""
    if entry["operation"] == "DescribeDomain":
        return [str(entry["domain"])]
    if entry["operation"] == "DescribeDomains":
        return [str(name) for name in entry["params"].get("DomainNames", [])]
    return []


def summarize_polling(
    entries: list[dict[str, Any]], in_progress: float, up_seconds: float
) -> PollingResult:
    """Compute poll rates and completion delays from the emulator log (emulated seconds)."""
    starts = {
        entry["domain"]: float(entry["time"])
        for entry in entries
        if entry["operation"] == "StartServiceSoftwareUpdate"
    }
    in_progress_calls = 0
    steady: list[float] = []
    delays: list[float] = []
    last_intervals: list[float] = []
    for domain, start in starts.items():
        begin = start + POLL_PENDING_SECONDS
        completed = begin + in_progress
        times = sorted(
            float(entry["time"])
            for entry in entries
            if domain in described_domains(entry) and entry["time"] > start
        )
        in_progress_calls += sum(1 for moment in times if begin <= moment < completed)
        intervals = [(later - earlier) / POLL_SPEED for earlier, later in itertools.pairwise(times)]
        steady.extend(intervals[POLL_BACKOFF_INTERVALS:])
        if times:
            delays.append((times[-1] - completed) / POLL_SPEED)
        if intervals:
            last_intervals.append(intervals[-1])
    hours = len(starts) * in_progress / 3600
    return PollingResult(
        speed=POLL_SPEED,
        domains=len(starts),
        in_progress_emulated_seconds=in_progress,
        up_seconds=up_seconds,
        calls_per_domain_per_emulated_hour=in_progress_calls / hours if hours else 0.0,
        steady_intervals=steady,
        notice_delays=delays,
        last_intervals=last_intervals,
        start_spread=(max(starts.values()) - min(starts.values())) / POLL_SPEED if starts else 0.0,
    )


# -- report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One target with its measured value and verdict."""

    name: str
    goal: str
    measured: str
    passed: bool
    # Whether a MISS fails the smoke run.
    gating: bool


def _seconds(values: Sequence[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _run_ratios(result: SizeResult, command: str) -> list[float]:
    """Return, per run, this stack's time over the engine floor's time in the same run.

    Each run times the two stacks one after the other, seconds apart. The speed of this
    shared machine drifted by more than a third within half an hour: the floor's
    `refresh` of 100 domains took 1.05 s, then 1.46 s. A ratio within one run cancels
    such a drift, and a ratio of medians taken over all runs does not.
    """
    return [
        product.commands[command].seconds / floor.commands[command].seconds
        for product, floor in zip(result.product, result.floor, strict=True)
    ]


def _ratio(result: SizeResult, command: str) -> float:
    return statistics.median(_run_ratios(result, command))


def _calls_per_domain(calls: Counter[str], size: int) -> str:
    if not calls:
        return "none"
    return ", ".join(f"{name} {count / size:g}" for name, count in sorted(calls.items()))


def _mutating(calls: Counter[str]) -> int:
    return sum(count for name, count in calls.items() if name in MUTATING_OPERATIONS)


def _max_calls(runs: Sequence[LifecycleResult], command: str) -> Counter[str]:
    """Return, per API, the most calls any run made, so a noisy run is not hidden."""
    merged: Counter[str] = Counter()
    for run in runs:
        for name, count in run.commands[command].calls.items():
            merged[name] = max(merged[name], count)
    return merged


def render_times(results: Sequence[SizeResult]) -> list[str]:
    lines = [
        "| N | command | this stack, s | engine floor, s | ratio | API floor (boto3 loop), s |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for command in COMMANDS:
            product = [run.commands[command].seconds for run in result.product]
            floor = [run.commands[command].seconds for run in result.floor]
            api = [run.seconds[command] for run in result.api]
            lines.append(
                f"| {result.size} | {command} | {_seconds(product)} | {_seconds(floor)} | "
                f"{_seconds(_run_ratios(result, command))} | {_seconds(api)} |"
            )
    return lines


def render_calls(results: Sequence[SizeResult]) -> list[str]:
    lines = [
        "| N | command | calls per domain, this stack | mutating calls | "
        "calls per domain, API floor |",
        "| ---: | --- | --- | ---: | --- |",
    ]
    for result in results:
        for command in COMMANDS:
            calls = _max_calls(result.product, command)
            api = result.api[0].calls[command] if result.api else Counter[str]()
            lines.append(
                f"| {result.size} | {command} | {_calls_per_domain(calls, result.size)} | "
                f"{_mutating(calls)} | {_calls_per_domain(api, result.size)} |"
            )
    return lines


def render_sizes(results: Sequence[SizeResult]) -> list[str]:
    lines = [
        "| N | state per resource, bytes: whole / without SDK stack trace / inputs and "
        "outputs (floor) | `__provider`, characters (floor) | `pulumi up` start to first "
        "API call, s | peak provider RSS in `up`, MiB (floor) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        state = _largest_state(result.product)
        floor_state = _largest_state(result.floor)
        provider = max(run.provider_chars for run in result.product)
        floor_provider = max(run.provider_chars for run in result.floor)
        first = [
            value
            for run in result.product
            if (value := run.commands["up"].first_call_after_start) is not None
        ]
        rss = max(run.commands["up"].peak_rss_bytes or 0 for run in result.product)
        floor_rss = max(run.commands["up"].peak_rss_bytes or 0 for run in result.floor)
        lines.append(
            f"| {result.size} | {state.whole} / {state.without_trace} / {state.properties} "
            f"({floor_state.whole} / {floor_state.without_trace} / {floor_state.properties}) "
            f"| {provider} ({floor_provider}) | {_seconds(first)} | "
            f"{rss / 2**20:.1f} ({floor_rss / 2**20:.1f}) |"
        )
    return lines


def _largest_state(runs: Sequence[LifecycleResult]) -> StateSize:
    return max((run.state for run in runs), key=lambda size: size.whole)


def render_polling(polling: PollingResult) -> list[str]:
    steady = polling.steady_intervals
    per_30 = POLL_CAP_SECONDS / statistics.mean(steady) if steady else float("nan")
    return [
        f"Clock speed {polling.speed:g} (1 real second = {polling.speed:g} emulated seconds), "
        f"{polling.domains} domains, IN_PROGRESS for {polling.in_progress_emulated_seconds:g} "
        f"emulated seconds ({polling.in_progress_emulated_seconds / polling.speed:g} s real), "
        f"default poll settings. `pulumi up` took {polling.up_seconds:.1f} s.",
        "",
        "| measure | value |",
        "| --- | ---: |",
        "| DescribeDomain calls per domain per emulated hour while IN_PROGRESS | "
        f"{polling.calls_per_domain_per_emulated_hour:.2f} |",
        f"| steady-state poll interval, real s, median (min-max) | {_seconds(steady)} |",
        f"| steady-state calls per domain per 30 s of real time | {per_30:.2f} |",
        "| COMPLETED to the last DescribeDomain, real s, median (min-max) | "
        f"{_seconds(polling.notice_delays)} |",
        f"| last poll interval, real s, median (min-max) | {_seconds(polling.last_intervals)} |",
        f"| first to last StartServiceSoftwareUpdate, real s | {polling.start_spread:.1f} |",
    ]


def evaluate(
    results: Sequence[SizeResult], polling: PollingResult | None, ratio_bound: float
) -> tuple[int, list[Target]]:
    """Check the targets at TARGET_SIZE, or at the largest size run if that is smaller."""
    chosen = [result for result in results if result.size == TARGET_SIZE] or [
        max(results, key=lambda result: result.size)
    ]
    result = chosen[0]
    targets = _time_targets(result, ratio_bound) + _call_and_size_targets(result)
    if polling is not None:
        targets += _polling_targets(polling)
    return result.size, targets


def _time_targets(result: SizeResult, ratio_bound: float) -> list[Target]:
    targets: list[Target] = []
    for command in TIMED_TARGET_COMMANDS:
        ratio = _ratio(result, command)
        targets.append(
            Target(
                f"`pulumi {command}` time vs engine floor",
                f"<= {ratio_bound:g}x",
                f"{ratio:.2f}x",
                ratio <= ratio_bound,
                gating=True,
            )
        )
    return targets


def _call_and_size_targets(result: SizeResult) -> list[Target]:
    size = result.size
    create = sum(_max_calls(result.product, "up").values()) / size
    refresh = sum(_max_calls(result.product, "refresh").values()) / size
    preview_mutating = _mutating(_max_calls(result.product, "preview"))
    provider = max(run.provider_chars for run in result.product)
    state = _largest_state(result.product)
    return [
        Target(
            "API calls per domain, create (`up`)",
            f"<= {CREATE_CALLS_TARGET:g}",
            f"{create:g}",
            create <= CREATE_CALLS_TARGET,
            gating=True,
        ),
        Target(
            "API calls per domain, `refresh`",
            f"<= {REFRESH_CALLS_TARGET:g}",
            f"{refresh:g}",
            refresh <= REFRESH_CALLS_TARGET,
            gating=True,
        ),
        Target(
            "mutating API calls in `preview`",
            "0",
            str(preview_mutating),
            preview_mutating == 0,
            gating=True,
        ),
        Target(
            "serialized provider (`__provider`)",
            f"< {PROVIDER_BYTES_TARGET} bytes",
            f"{provider} bytes",
            provider < PROVIDER_BYTES_TARGET,
            gating=True,
        ),
        Target(
            "state per resource without the SDK's stack trace",
            f"< {STATE_BYTES_TARGET} bytes",
            f"{state.without_trace} bytes",
            state.without_trace < STATE_BYTES_TARGET,
            gating=True,
        ),
        Target(
            "state per resource, whole (not gating: the engine floor misses it too)",
            f"< {STATE_BYTES_TARGET} bytes",
            f"{state.whole} bytes",
            state.whole < STATE_BYTES_TARGET,
            gating=False,
        ),
    ]


def _polling_targets(polling: PollingResult) -> list[Target]:
    steady = polling.steady_intervals
    per_30 = POLL_CAP_SECONDS / min(steady) if steady else float("inf")
    delay = max(polling.notice_delays, default=float("inf"))
    return [
        Target(
            "steady-state polling, calls per domain per 30 s real (at the shortest interval)",
            f"<= {POLL_CAP_SECONDS / POLL_REAL_SECONDS_TARGET:g}",
            f"{per_30:.2f}",
            per_30 <= POLL_CAP_SECONDS / POLL_REAL_SECONDS_TARGET,
            gating=False,
        ),
        Target(
            "COMPLETED noticed within one poll interval (max delay)",
            f"<= {POLL_CAP_WITH_JITTER_SECONDS:g} s",
            f"{delay:.1f} s",
            delay <= POLL_CAP_WITH_JITTER_SECONDS,
            gating=False,
        ),
    ]


def render_targets(size: int, targets: Sequence[Target]) -> list[str]:
    lines = [
        f"Targets at N={size}:",
        "",
        "| target | goal | measured | result | fails `--smoke` |",
        "| --- | --- | --- | --- | --- |",
    ]
    for target in targets:
        verdict = "PASS" if target.passed else "MISS"
        gate = "yes" if target.gating else "no"
        lines.append(f"| {target.name} | {target.goal} | {target.measured} | {verdict} | {gate} |")
    return lines


def machine_lines(command: str, start_load: str) -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    engine = subprocess.run(
        [str(ensure_engine() / "pulumi"), "version"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
    ).stdout.strip()
    load = _load_average()
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("pulumi", "boto3", "botocore", "moto")
    )
    return [
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {os.cpu_count()} CPUs ({cpu}), {memory_kib / 2**20:.1f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"- Load average (1, 5, 15 min): {start_load} at the start, {load} at the end; "
        "other processes on the machine (such as another test run) are included",
        f"- Versions: pulumi CLI {engine}, Python packages {versions}",
        f"- Command: `{command}`",
    ]


def _load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def render_report(
    command: str,
    start_load: str,
    *,
    results: Sequence[SizeResult],
    polling: PollingResult | None,
    runs: int,
    ratio_bound: float,
) -> tuple[str, list[Target]]:
    size, targets = evaluate(results, polling, ratio_bound)
    lines = [
        *machine_lines(command, start_load),
        "",
        f"### Wall time, median of {runs} run(s) (min-max)",
        "",
        "Each run: a fresh stack and a freshly reset emulator, then preview, up, refresh and "
        "destroy. The ratio is the median, over runs, of this stack's time divided by the "
        "engine floor's time in the same run, so that a change of the machine's speed "
        "between runs cancels out. The API floor is a sequential boto3 loop in the "
        "benchmark process, with the client created before timing; preview and destroy "
        "need no call.",
        "",
        *render_times(results),
        "",
        "### AWS API calls per domain, from the emulator log",
        "",
        "The most calls any run made. Every domain is PENDING_UPDATE at refresh time "
        f"(the emulator keeps a NOW update pending for {LIFECYCLE_PENDING_SECONDS:g} s).",
        "",
        *render_calls(results),
        "",
        "### State, provider, start-up and memory",
        "",
        "State is one resource of `pulumi stack export` as compact JSON (median). The time "
        "to the first API call runs from just before `pulumi up` starts to the first "
        "request's arrival at the emulator, so it includes engine and program start-up. "
        f"RSS is sampled every {RSS_SAMPLE_SECONDS * 1000:.0f} ms over the "
        "`python -m pulumi.dynamic` processes below that `pulumi up`.",
        "",
        *render_sizes(results),
        "",
    ]
    if polling is not None:
        lines += ["### Polling while waiting for completion", "", *render_polling(polling), ""]
    lines += render_targets(size, targets)
    return "\n".join(lines) + "\n", targets


REPORT_START = "<!-- bench:start -->"
REPORT_END = "<!-- bench:end -->"


def write_output(path: Path, report: str) -> None:
    """Write the report between the markers of an existing file, or as a new file.

    Text outside the markers (such as an analysis of the results) is kept.
    """
    block = f"{REPORT_START}\n{report}{REPORT_END}\n"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if REPORT_START in text and REPORT_END in text:
            head, rest = text.split(REPORT_START, 1)
            tail = rest.split(REPORT_END, 1)[1].lstrip("\n")
            path.write_text(f"{head}{block}\n{tail}", encoding="utf-8")
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Benchmarks\n\n{block}", encoding="utf-8")


# -- main --------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid --sizes {text!r}; give comma-separated integers such as 1,10,100"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"invalid --sizes {text!r}; each size must be >= 1")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.bench",
        description="Time the example program against the engine floor and the API floor.",
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[1, 10, 100],
        help="comma-separated numbers of domains (default 1,10,100)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per size and stack (default 3)")
    parser.add_argument(
        "--output", type=Path, help="Markdown file to write the report to, besides stdout"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"CI mode: N={SMOKE_SIZE}, 1 run, no polling scenario; exit 1 on a missed "
        f"deterministic target or a time ratio above {SMOKE_TIME_RATIO_BOUND:g}x",
    )
    parser.add_argument(
        "--product-path",
        type=Path,
        default=REPO_ROOT,
        help="folder whose components package the product stack imports, to measure a "
        "candidate change in a copy of the repository (default: this repository)",
    )
    parser.add_argument(
        "--skip-polling",
        action="store_true",
        help="skip the wait_for_completion polling scenario (about 2 minutes)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    if args.smoke:
        args.sizes = [SMOKE_SIZE]
        args.runs = 1
        args.skip_polling = True
    return args


def compile_bytecode(folders: Sequence[Path]) -> None:
    """Write the bytecode of the measured packages, as an installed package has it.

    pip writes .pyc files when it installs a package, and Python writes them on first
    import, unless PYTHONDONTWRITEBYTECODE is set, as it is on this machine. Without this
    step, every provider and program process compiles the package again: about 18 ms per
    process (python -X importtime), which the engine floor's one-file provider hardly pays.
    """
    for folder in folders:
        compileall.compile_dir(folder, quiet=1)


@contextmanager
def emulator_process_environment(url: str) -> Iterator[None]:
    """Point this process's boto3 at the emulator only, for the API floor."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            del os.environ[key]
    os.environ.update(emulator_environment(url, REGION))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_benchmarks(
    args: argparse.Namespace, client: EmulatorClient, work_dir: Path
) -> tuple[list[SizeResult], PollingResult | None]:
    product_dir = copy_project(work_dir / "product")
    floor_dir = write_floor_project(work_dir / "floor")
    compile_bytecode([args.product_path.resolve() / "components", floor_dir])
    floor_path = os.pathsep.join([str(floor_dir), str(REPO_ROOT)])
    results: list[SizeResult] = []
    for size in args.sizes:
        result = SizeResult(size)
        for run in range(1, args.runs + 1):
            label = f"N={size} run {run}/{args.runs}"
            result.product.append(
                run_lifecycle(
                    "this stack",
                    project_dir=product_dir,
                    resource_type=UPDATE_TYPE,
                    python_path=str(args.product_path.resolve()),
                    client=client,
                    size=size,
                    label=label,
                    work_dir=work_dir,
                )
            )
            result.floor.append(
                run_lifecycle(
                    "engine floor",
                    project_dir=floor_dir,
                    resource_type=FLOOR_TYPE,
                    python_path=floor_path,
                    client=client,
                    size=size,
                    label=label,
                    work_dir=work_dir,
                )
            )
            progress(f"{label}: API floor: boto3 loop ...")
            result.api.append(run_api_floor(client, size))
        results.append(result)
    polling = (
        None if args.skip_polling else run_polling(client, work_dir, args.product_path.resolve())
    )
    return results, polling


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m devtools.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    ensure_engine()
    start_load = _load_average()
    started = time.perf_counter()
    with (
        EmulatorServer(port=0, speed=1.0) as server,
        emulator_process_environment(server.url),
        tempfile.TemporaryDirectory(prefix="bench-") as work,
    ):
        client = EmulatorClient(server.url)
        client.wait_until_ready()
        results, polling = run_benchmarks(args, client, Path(work))
    progress(f"finished in {time.perf_counter() - started:.0f} s")

    ratio_bound = SMOKE_TIME_RATIO_BOUND if args.smoke else TIME_RATIO_TARGET
    report, targets = render_report(
        command.strip(),
        start_load,
        results=results,
        polling=polling,
        runs=args.runs,
        ratio_bound=ratio_bound,
    )
    print(report)
    if args.output is not None:
        write_output(args.output, report)
    if not args.smoke:
        return 0
    missed = [target for target in targets if target.gating and not target.passed]
    for target in missed:
        print(
            f"[bench] smoke: MISS {target.name}: {target.measured}, goal {target.goal}",
            file=sys.stderr,
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
