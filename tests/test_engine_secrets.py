"""Credentials never reach state or logs, whichever way the provider gets them.

Three sources: environment variables with a session token, a named profile in shared
config files, and a role assumed through STS (the emulator's moto STS). Each run uses
the engine's most verbose logging, which prints every gRPC request and response with
its inputs and outputs, and the test searches that log, the command output and
`pulumi stack export` for every secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from devtools.engine import PulumiWorkspace
from emulator import EmulatorClient

pytestmark = pytest.mark.engine

REGION = "us-east-1"
OLD = "R20250403-P5"
NEW = "R20251106-P2"
ROLE_ARN = "arn:aws:iam::123456789012:role/opensearch-updates"
ENV_KEY = "AKIAENVTESTSONLY0001"
ENV_SECRET = "env-secret-for-tests-only-0001"
ENV_TOKEN = "env-session-token-for-tests-only-0001"
PROFILE_KEY = "AKIAPROFILETESTS0002"
PROFILE_SECRET = "profile-secret-for-tests-only-0002"
# Temporary access keys that AssumeRole returns start with ASIA.
TEMPORARY_KEY = re.compile(r"ASIA[A-Z0-9]{16}")


def use_environment(workspace: PulumiWorkspace, _client: EmulatorClient, _tmp: Path) -> None:
    workspace.extra_env = {
        **workspace.extra_env,
        "AWS_ACCESS_KEY_ID": ENV_KEY,
        "AWS_SECRET_ACCESS_KEY": ENV_SECRET,
        "AWS_SESSION_TOKEN": ENV_TOKEN,
    }


def use_profile(workspace: PulumiWorkspace, _client: EmulatorClient, tmp: Path) -> None:
    credentials = tmp / "credentials"
    credentials.write_text(
        f"[updates]\naws_access_key_id = {PROFILE_KEY}\naws_secret_access_key = {PROFILE_SECRET}\n",
        encoding="utf-8",
    )
    config = tmp / "config"
    config.write_text(f"[profile updates]\nregion = {REGION}\n", encoding="utf-8")
    environment = {
        key: value
        for key, value in workspace.extra_env.items()
        if key not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    }
    environment["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
    environment["AWS_CONFIG_FILE"] = str(config)
    workspace.extra_env = environment
    workspace.set_config("profile", "updates")


def use_role(workspace: PulumiWorkspace, client: EmulatorClient, tmp: Path) -> None:
    use_environment(workspace, client, tmp)
    workspace.extra_env = {**workspace.extra_env, "AWS_ENDPOINT_URL_STS": client.url}
    workspace.set_config("roleArn", ROLE_ARN)


SOURCES: dict[str, Callable[[PulumiWorkspace, EmulatorClient, Path], None]] = {
    "environment": use_environment,
    "profile": use_profile,
    "role": use_role,
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_credentials_stay_out_of_state_and_logs(
    client: EmulatorClient,
    workspace: PulumiWorkspace,
    tmp_path: Path,
    source: str,
    record: Callable[..., None],
) -> None:
    client.seed_domain(name="logs-dev", region=REGION, current_version=OLD, new_version=NEW)
    workspace.set_config("domains", ["logs-dev"])
    workspace.set_config("scheduleAt", "NOW")
    SOURCES[source](workspace, client, tmp_path)

    result = workspace.up("--logtostderr", "-v=9")
    refreshed = workspace.refresh("--logtostderr", "-v=9")

    starts = [e for e in client.requests() if e["operation"] == "StartServiceSoftwareUpdate"]
    assert len(starts) == 1
    exported = json.dumps(workspace.export())
    texts = {
        "state": exported,
        "up output": result.stdout + result.stderr,
        "refresh output": refreshed.stdout + refreshed.stderr,
    }
    # The verbose log must contain the provider's inputs, or the search proves nothing.
    assert "domain_name" in result.stderr
    secrets = (ENV_KEY, ENV_SECRET, ENV_TOKEN, PROFILE_KEY, PROFILE_SECRET, "SessionToken")
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} found in the {name}"
        assert TEMPORARY_KEY.search(text) is None, f"a temporary access key in the {name}"
    if source == "role":
        assert ROLE_ARN in exported
    record(source=source, bytes_searched=sum(len(text) for text in texts.values()))
