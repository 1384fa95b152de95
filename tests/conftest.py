"""Shared fixtures: no test reaches real AWS, and engine tests get an emulator and a stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.engine import PulumiWorkspace, copy_project, emulator_environment, ensure_engine
from emulator import EmulatorClient, EmulatorServer

REGION = "us-east-1"


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
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        yield


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
    workspace = PulumiWorkspace(
        project_dir=project_dir,
        state_dir=tmp_path / "state",
        stack="test",
        extra_env=emulator_environment(client.url, REGION),
    )
    workspace.init_stack({"aws:region": REGION})
    try:
        yield workspace
    finally:
        workspace.remove_stack()
