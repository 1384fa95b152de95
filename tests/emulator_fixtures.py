"""Fixtures for the emulator tests: a live emulator on 127.0.0.1 and boto3 clients aimed at it.

Test modules load them with ``pytest_plugins = ["emulator_fixtures"]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_opensearch.client import OpenSearchServiceClient

from emulator import EmulatorClient, EmulatorServer

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent

# Fake credentials and no instance-metadata lookup, so that botocore never
# looks for real credentials or contacts any host but the emulator.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="session")
def fake_aws_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    empty = tmp_path_factory.mktemp("aws-config") / "empty"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS_ENVIRONMENT.items():
            patch.setenv(name, value)
        # Keep a developer's own AWS profile and config files out of the tests.
        patch.delenv("AWS_PROFILE", raising=False)
        patch.setenv("AWS_CONFIG_FILE", str(empty))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        yield


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0, speed=0.0) as server:
        yield server


@pytest.fixture(scope="module")
def emulator_client(emulator_server: EmulatorServer) -> EmulatorClient:
    client = EmulatorClient(emulator_server.url)
    client.wait_until_ready(timeout=10)
    return client


def make_opensearch_client(
    url: str, region: str = REGION, *, validate: bool = True
) -> OpenSearchServiceClient:
    """Return a boto3 OpenSearch Service client that sends to the emulator at ``url`` only.

    ``validate=False`` turns off botocore's client-side parameter checks, so a
    test can send values that only the server rejects.
    """
    config = Config(retries={"max_attempts": 1}, parameter_validation=validate)
    return boto3.client(
        "opensearch",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        config=config,
    )


@pytest.fixture(scope="session")
def opensearch_factory() -> Callable[..., OpenSearchServiceClient]:
    """``make_opensearch_client``, for tests that need a client of their own."""
    return make_opensearch_client


@pytest.fixture(scope="module")
def opensearch(emulator_server: EmulatorServer) -> OpenSearchServiceClient:
    return make_opensearch_client(emulator_server.url)


@pytest.fixture(scope="module")
def unvalidated_opensearch(emulator_server: EmulatorServer) -> OpenSearchServiceClient:
    return make_opensearch_client(emulator_server.url, validate=False)


@pytest.fixture
def clean_emulator(emulator_client: EmulatorClient) -> EmulatorClient:
    """The module's emulator, reset to no domains, default settings and an empty log."""
    emulator_client.reset()
    return emulator_client


def start_emulator_process(port_file: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """Run `python -m emulator` on a free port; return the process and its URL once it listens.

    The caller stops the process (SIGTERM) and reads its output.
    """
    command = [sys.executable, "-m", "emulator", "--port", "0", "--port-file", str(port_file)]
    process = subprocess.Popen(
        [*command, *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 15
    while not port_file.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the emulator wrote no port file in 15 seconds"
        time.sleep(0.05)
    return process, f"http://127.0.0.1:{int(port_file.read_text())}"


@pytest.fixture(scope="session")
def emulator_process() -> Callable[..., tuple[subprocess.Popen[str], str]]:
    """``start_emulator_process``, for tests that run the emulator's command line."""
    return start_emulator_process


def control_call(url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Send a raw control request and return the status and decoded JSON body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/_emulator/{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
