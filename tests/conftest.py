"""Shared fixtures: no test reaches real AWS, and engine tests get an emulator and a stack.

Every pulumi command that an engine test runs through the ``workspace`` fixture is
checked against the emulator's request log: `pulumi preview` and `pulumi refresh` must
make no mutating call, and every call must be an action of the IAM policy in README.md.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devtools.engine import (
    REPO_ROOT,
    PulumiWorkspace,
    copy_project,
    emulator_environment,
    ensure_engine,
)
from emulator import MUTATING_OPERATIONS, EmulatorClient, EmulatorServer

# Test modules import helpers from this plugin module, so pytest must know to rewrite its
# asserts before it is first imported, during collection.
pytest.register_assert_rewrite("emulator_fixtures")

REGION = "us-east-1"
# Commands that must never change anything in AWS.
READ_ONLY_COMMANDS = ("preview", "refresh")


def readme_policy_actions() -> frozenset[str]:
    """Return the OpenSearch actions of the IAM policy that README.md documents."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"IAM actions on the domains.*?```json\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "README.md has no IAM policy block"
    actions: set[str] = set()
    for statement in json.loads(block.group(1))["Statement"]:
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return frozenset(action.removeprefix("es:") for action in actions if action.startswith("es:"))


POLICY_ACTIONS = readme_policy_actions()
# What the checks saw in this session, for the summary and the reliability report.
GUARD: Counter[str] = Counter()
OPERATIONS_SEEN: Counter[str] = Counter()
RECORDS: dict[str, dict[str, Any]] = {}


@dataclass
class CheckedWorkspace(PulumiWorkspace):
    """A PulumiWorkspace whose commands are checked against the emulator's request log."""

    emulator: EmulatorClient | None = None

    def run(self, *args: str, **options: Any) -> Any:
        before = self._last_seq()
        try:
            return super().run(*args, **options)
        finally:
            self._check(args, before)

    def _last_seq(self) -> int:
        if self.emulator is None:
            return 0
        return max((int(entry["seq"]) for entry in self.emulator.requests()), default=0)

    def _check(self, args: tuple[str, ...], before: int) -> None:
        if self.emulator is None or not args:
            return
        entries = [e for e in self.emulator.requests() if int(e["seq"]) > before]
        operations = [str(e["operation"]) for e in entries if e["operation"] is not None]
        OPERATIONS_SEEN.update(operations)
        outside = sorted(set(operations) - POLICY_ACTIONS)
        assert not outside, f"pulumi {args[0]} called {outside}, which README's policy lacks"
        if args[0] in READ_ONLY_COMMANDS:
            GUARD[args[0]] += 1
            changed = [op for op in operations if op in MUTATING_OPERATIONS]
            assert changed == [], f"pulumi {' '.join(args)} made mutating calls: {changed}"


@pytest.fixture(autouse=True, scope="session")
def no_real_aws() -> Iterator[None]:
    """Give boto3 fake credentials and a dead local endpoint unless a test sets its own.

    A unit test that lacks a stub then fails with a connection error on 127.0.0.1:9
    instead of sending a request to AWS.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTSONLY")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "tests-only-not-a-secret")
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_DEFAULT_PROFILE", raising=False)
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        yield


@pytest.fixture
def aws_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An AWS config file with profile ``ops`` in eu-west-1 and ``bare`` without a region.

    The credentials file does not exist, so only this file defines profiles.
    """
    path = tmp_path / "config"
    path.write_text("[profile ops]\nregion = eu-west-1\n\n[profile bare]\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return path


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorClient]:
    """An emulator on a free local port with a frozen clock, one per test module."""
    ensure_engine()
    with EmulatorServer(port=0, speed=0.0) as server:
        yield EmulatorClient(server.url)


@pytest.fixture
def client(emulator: EmulatorClient) -> EmulatorClient:
    """The module's emulator, emptied, with its clock frozen again."""
    emulator.reset()
    emulator.set_speed(0.0)
    return emulator


@pytest.fixture
def workspace(tmp_path: Path, client: EmulatorClient) -> Iterator[PulumiWorkspace]:
    """A throwaway `test` stack of the example program, aimed at the emulator."""
    project_dir = copy_project(tmp_path / "project")
    workspace = CheckedWorkspace(
        project_dir=project_dir,
        state_dir=tmp_path / "state",
        stack="test",
        extra_env=emulator_environment(client.url, REGION),
        emulator=client,
    )
    workspace.init_stack({"aws:region": REGION})
    try:
        yield workspace
    finally:
        workspace.remove_stack()


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Keep figures of this test for the reliability report (devtools/reliability.py)."""

    def add(**figures: Any) -> None:
        RECORDS.setdefault(request.node.name, {}).update(figures)

    return add


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OPERATIONS_SEEN:
        return
    terminalreporter.write_line(
        f"emulator checks: {GUARD['preview']} previews and {GUARD['refresh']} refreshes made "
        f"no mutating call; API operations called by pulumi commands, all in README's IAM "
        f"policy: {', '.join(f'{op} {count}' for op, count in sorted(OPERATIONS_SEEN.items()))}"
    )


def pytest_sessionfinish() -> None:
    """Write the figures to $RELIABILITY_RECORD, when set, for devtools/reliability.py."""
    path = os.environ.get("RELIABILITY_RECORD")
    if not path:
        return
    report = {
        "records": RECORDS,
        "read_only_commands": dict(GUARD),
        "operations": dict(OPERATIONS_SEEN),
        "policy_actions": sorted(POLICY_ACTIONS),
    }
    Path(path).write_text(json.dumps(report, indent=2, sort_keys=True), encoding="utf-8")
