"""Run the reliability tests and publish what they tried and what held.

`make reliability` runs the whole test suite once, engine tests included (about ten
minutes on 2 cores). It requests two extra outputs from pytest: JUnit XML, for the outcome of
every test, and the figures that tests keep with the ``record`` fixture (see
tests/conftest.py), such as the faults the emulator injected and the Starts it carried
out. This script turns both into the tables of docs/reliability.md, between the
``reliability:start`` and ``reliability:end`` markers, and exits 1 if any test failed.

    python -m devtools.reliability [--output docs/reliability.md] [PYTEST_ARGS...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.engine import REPO_ROOT

START_MARKER = "<!-- reliability:start -->"
END_MARKER = "<!-- reliability:end -->"

# Test modules by area of the report, in report order.
AREAS = {
    "Bad input through `pulumi preview`": ["test_engine_bad_inputs", "test_engine"],
    "Validation and time conversion (hypothesis)": ["test_schedule_properties"],
    "API faults through the engine": ["test_engine_faults"],
    "Interruptions and concurrent stacks": ["test_engine_interrupts"],
    "Credentials in state and logs": ["test_engine_secrets"],
    "Update lifecycle and rollouts through the engine": [
        "test_engine_lifecycle",
        "test_engine_rollout",
    ],
    "Provider and emulator units": [
        "test_provider",
        "test_waiter",
        "test_batching",
        "test_emulator_faults",
    ],
}


@dataclass
class Outcome:
    """Test counts and seconds of one area."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def progress(message: str) -> None:
    print(f"[reliability] {message}", file=sys.stderr, flush=True)


def run_tests(work: Path, pytest_args: Sequence[str]) -> tuple[int, Path, Path]:
    """Run pytest with the JUnit and figure outputs; return its exit code and both paths."""
    junit = work / "junit.xml"
    figures = work / "figures.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        *pytest_args,
    ]
    progress(f"running {' '.join(command[1:])} (about ten minutes)")
    environment = {**os.environ, "RELIABILITY_RECORD": str(figures)}
    completed = subprocess.run(command, cwd=REPO_ROOT, env=environment, check=False)
    return completed.returncode, junit, figures


def read_outcomes(junit: Path) -> dict[str, Outcome]:
    """Return the outcomes per test module, from pytest's JUnit XML."""
    outcomes: dict[str, Outcome] = defaultdict(Outcome)
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = str(case.get("classname", "")).rsplit(".", 1)[-1]
        outcome = outcomes[module]
        outcome.seconds += float(case.get("time", 0))
        if case.find("failure") is not None or case.find("error") is not None:
            outcome.failed += 1
            outcome.failures.append(f"{module}::{case.get('name')}")
        elif case.find("skipped") is not None:
            outcome.skipped += 1
        else:
            outcome.passed += 1
    return outcomes


def area_rows(outcomes: dict[str, Outcome]) -> list[str]:
    lines = [
        "| area | test modules | tests | passed | failed | seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for area, modules in AREAS.items():
        total = Outcome()
        for module in modules:
            outcome = outcomes.get(module, Outcome())
            total.passed += outcome.passed
            total.failed += outcome.failed + outcome.skipped
            total.seconds += outcome.seconds
        count = total.passed + total.failed
        names = ", ".join(f"`{module}`" for module in modules)
        lines.append(
            f"| {area} | {names} | {count} | {total.passed} | {total.failed} | "
            f"{total.seconds:.0f} |"
        )
    every = Outcome()
    for outcome in outcomes.values():
        every.passed += outcome.passed
        every.failed += outcome.failed + outcome.skipped
        every.seconds += outcome.seconds
    lines.append(
        f"| whole suite | all | {every.passed + every.failed} | {every.passed} | "
        f"{every.failed} | {every.seconds:.0f} |"
    )
    return lines


def figure(records: dict[str, dict[str, Any]], test: str, key: str) -> Any:
    return records.get(test, {}).get(key, "not run")


def injected_text(injected: Any) -> str:
    if not isinstance(injected, dict):
        return str(injected)
    totals: dict[str, int] = defaultdict(int)
    for kinds in injected.values():
        for kind, count in kinds.items():
            totals[kind] += int(count)
    return ", ".join(f"{kind} {count}" for kind, count in sorted(totals.items()))


def fault_rows(records: dict[str, dict[str, Any]]) -> list[str]:
    storm = "test_fault_storm_starts_each_domain_once"
    persistent = "test_persistent_start_failure_stops_then_converges"
    lines = ["| scenario | tried | held |", "| --- | --- | --- |"]
    lines.append(
        f"| storm: 30 % throttled, 3 % 500, 2 % 500 after carrying out, "
        f"{figure(records, storm, 'domains')} domains ({figure(records, storm, 'eligible')} "
        f"with an update) | {figure(records, storm, 'requests')} API requests, faults "
        f"injected: {injected_text(figure(records, storm, 'injected'))}; "
        f"{figure(records, storm, 'starts_sent')} Start requests sent | "
        f"{figure(records, storm, 'starts_applied')} Starts carried out, one per domain "
        f"with an update, none after one was carried out; `pulumi up` succeeded in "
        f"{figure(records, storm, 'seconds')} s |"
    )
    lines.append(
        f"| persistent 500 on one domain's Start | {figure(records, persistent, 'attempts')} "
        f"Start attempts | the run failed after {figure(records, persistent, 'seconds_to_fail')}"
        f" s, naming the domain, the error and the next step; the other two domains kept "
        f"in state; the next `pulumi up` sent exactly one Start |"
    )
    for kind in ("internal_after", "drop_after"):
        test = f"test_lost_start_response_is_not_resent[{kind}]"
        lines.append(
            f"| every Start's response lost ({kind}) | {figure(records, test, 'domains')} "
            f"domains | {figure(records, test, 'starts_sent')} Start requests in all: the "
            f"provider described the domain and adopted the update |"
        )
    stuck = "test_stuck_update_times_out_then_adopts"
    lines.append(
        f"| update stuck in IN_PROGRESS | {figure(records, stuck, 'polls_while_stuck')} "
        f"polls in a 3 s completion_timeout | timed out with a clear error; after release "
        f"the next `pulumi up` adopted it without a Start |"
    )
    return lines


def interrupt_rows(records: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| scenario | held |", "| --- | --- |"]
    for name in ("SIGINT", "SIGTERM"):
        test = f"test_forced_stop_during_wait_then_up_adopts[{name}]"
        lines.append(
            f"| two {name} to `pulumi up` while it waits | exit code "
            f"{figure(records, test, 'exit_code')}; a pending create in state and no "
            f"resource; {figure(records, test, 'calls_after_exit')} API call(s) after "
            f"pulumi exited; the next `pulumi up` adopted without a Start |"
        )
    together = "test_two_stacks_at_once_start_once"
    lines.append(
        f"| two stacks, {figure(records, together, 'domains')} shared domains, `pulumi up` "
        f"at once | {figure(records, together, 'starts_applied')} Starts carried out; "
        f"{figure(records, together, 'starts_rejected')} rejected as already scheduled, "
        f"then adopted |"
    )
    return lines


def guard_lines(report: dict[str, Any]) -> list[str]:
    commands = report.get("read_only_commands", {})
    operations: dict[str, int] = report.get("operations", {})
    policy: list[str] = report.get("policy_actions", [])
    unused = sorted(set(policy) - set(operations))
    used = ", ".join(f"{name} {count}" for name, count in sorted(operations.items()))
    return [
        f"- Read-only commands: {commands.get('preview', 0)} `pulumi preview` and "
        f"{commands.get('refresh', 0)} `pulumi refresh` runs, across every engine test "
        "stack, made no mutating call.",
        f"- API operations that pulumi commands called, all in the README's IAM policy: "
        f"{used or 'none'}.",
        f"- Policy actions no test called: {', '.join(unused) or 'none'}.",
    ]


def _git(*args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    return completed.stdout.strip()


def commit_line() -> str:
    """Return the checked-out commit, and whether the working tree differs from it."""
    head = _git("rev-parse", "--short", "HEAD")
    if not head:
        return "not a git checkout"
    changed = _git("status", "--porcelain", "--untracked-files=no")
    return f"{head}, with uncommitted changes" if changed else head


def render(
    outcomes: dict[str, Outcome], report: dict[str, Any], command: str, started: dt.datetime
) -> str:
    records: dict[str, dict[str, Any]] = report.get("records", {})
    secrets = [value for key, value in records.items() if key.startswith("test_credentials")]
    searched = sum(int(value.get("bytes_searched", 0)) for value in secrets)
    failures = [name for outcome in outcomes.values() for name in outcome.failures]
    lines = [
        START_MARKER,
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- Command: `{command}`",
        f"- Commit: {commit_line()}",
        "",
        "### Outcomes by area",
        "",
        *area_rows(outcomes),
        "",
        "### API faults",
        "",
        *fault_rows(records),
        "",
        "### Interruptions and concurrency",
        "",
        *interrupt_rows(records),
        "",
        "### Preview, IAM and credentials",
        "",
        *guard_lines(report),
        f"- Credentials: {len(secrets)} sources (environment with session token, profile, "
        f"assumed role), {searched} bytes of state, command output and -v=9 engine log "
        "searched; no secret found.",
        "",
        f"Failed tests: {', '.join(failures) if failures else 'none'}.",
        END_MARKER,
    ]
    return "\n".join(lines) + "\n"


def write_output(path: Path, generated: str) -> None:
    """Replace the generated part of ``path`` between the markers, keeping the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START_MARKER in text and END_MARKER in text:
        before = text.split(START_MARKER, 1)[0]
        after = text.split(END_MARKER, 1)[1].lstrip("\n")
        text = before + generated + ("\n" + after if after else "")
    else:
        text = text + ("\n" if text else "") + generated
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, help="Markdown file to update in place")
    arguments, pytest_args = parser.parse_known_args(argv)
    started = dt.datetime.now(dt.UTC)
    command = "python -m devtools.reliability " + " ".join(
        [*([f"--output {arguments.output}"] if arguments.output else []), *pytest_args]
    )
    with tempfile.TemporaryDirectory(prefix="reliability-") as folder:
        code, junit, figures = run_tests(Path(folder), pytest_args)
        if not junit.exists():
            progress(f"pytest wrote no results (exit code {code})")
            return 1
        outcomes = read_outcomes(junit)
        report = json.loads(figures.read_text(encoding="utf-8")) if figures.exists() else {}
    generated = render(outcomes, report, command.strip(), started)
    print(generated)
    if arguments.output:
        write_output(arguments.output, generated)
        progress(f"updated {arguments.output}")
    failed = sum(outcome.failed for outcome in outcomes.values())
    progress(f"{failed} failed test(s); pytest exit code {code}")
    return 0 if code == 0 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
