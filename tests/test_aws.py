"""Client handling: sessions from botocore alone, profile and region errors, shared clients."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import (
    BotoCoreError,
    EndpointConnectionError,
    NoCredentialsError,
    UnknownServiceError,
)

from components.opensearch import aws
from emulator import EmulatorServer

pytest_plugins = ["emulator_fixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent
# AWS_DEFAULT_REGION of every test, set by conftest.no_real_aws.
REGION = "us-east-1"


def forget_clients() -> None:
    """Drop the process-wide clients and sessions, as a new provider process starts."""
    aws._clients.clear()
    aws._sessions.clear()


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    forget_clients()
    yield
    forget_clients()


@pytest.mark.usefixtures("aws_config_file")
@pytest.mark.parametrize("region", [None, "us-west-2"])
def test_unknown_profile_fails_before_any_call(region: str | None) -> None:
    # An explicit region must not skip reading the profile: botocore returns a region set
    # on the session without opening the config files.
    with pytest.raises(aws.SoftwareUpdateError) as caught:
        aws.opensearch_client(region, "opps")
    error = caught.value
    assert error.code == "ProfileNotFound"
    assert "opps" in str(error)
    assert "Fix the profile input or the stack's aws:profile config" in str(error)
    assert aws._clients == {}


@pytest.mark.usefixtures("aws_config_file")
def test_region_precedence_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert aws.client_region(aws.opensearch_client(None, "ops")) == "eu-west-1"
    forget_clients()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ca-central-1")
    assert aws.client_region(aws.opensearch_client(None, "ops")) == "ca-central-1"
    forget_clients()
    # AWS_REGION first, as the AWS SDKs for JavaScript and Kotlin read it.
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    assert aws.client_region(aws.opensearch_client(None, "ops")) == "sa-east-1"
    assert aws.client_region(aws.opensearch_client("ap-south-1", "ops")) == "ap-south-1"


@pytest.mark.usefixtures("aws_config_file")
def test_missing_region_names_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(aws.SoftwareUpdateError) as caught:
        aws.opensearch_client(None)
    assert caught.value.code == "NoRegion"
    assert "pulumi config set aws:region" in str(caught.value)
    assert aws.default_region() is None


@pytest.mark.usefixtures("aws_config_file")
def test_default_region_follows_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert aws.default_region() == REGION
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    assert aws.default_region() == "sa-east-1"


def test_clients_shared_per_key() -> None:
    retrying = aws.opensearch_client(REGION)
    assert aws.opensearch_client(REGION) is retrying
    single = aws.opensearch_client(REGION, single_attempt=True)
    assert single is not retrying
    assert vars(single.meta.config)["retries"]["total_max_attempts"] == 1
    assert vars(retrying.meta.config)["retries"]["total_max_attempts"] == aws.MAX_ATTEMPTS
    assert len(aws._sessions) == 1
    assert aws.opensearch_client("eu-central-1") is not retrying
    assert len(aws._sessions) == 2


def test_provider_process_never_imports_boto3() -> None:
    # boto3 costs about 40 ms of every provider process and adds nothing to the client
    # (aws.py), so unpickling the provider and making both clients must not load it.
    script = textwrap.dedent(
        """
        import sys
        from components.opensearch import aws, provider
        aws.opensearch_client("us-east-1")
        aws.opensearch_client("us-east-1", single_attempt=True)
        print(sorted(name for name in sys.modules if name.split(".")[0] == "boto3"))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[]"


def test_narrow_loader_finds_any_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    session = aws._session(REGION, None, None)
    loader = session.get_component("data_loader")
    services = loader.list_available_services("service-2")
    assert str(tmp_path) in loader.search_paths
    assert "opensearch" in services
    # The credential providers of an SSO profile make clients of these two.
    assert "sso" in services
    assert "sso-oidc" in services
    assert "no-such-service" not in services
    assert session.create_client("sso").meta.service_model.service_name == "sso"
    with pytest.raises(UnknownServiceError):
        session.create_client("no-such-service")
    assert aws.opensearch_client(REGION).meta.service_model.service_name == "opensearch"


def test_role_session_keeps_named_profile(
    aws_config_file: Path, emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AWS_PROFILE names a profile that does not exist; the named profile "ops" must be
    # the one whose settings the role's clients use.
    aws_config_file.write_text(
        "[profile ops]\nregion = eu-west-1\naws_access_key_id = AKIAPROFILEONLY\n"
        "aws_secret_access_key = tests-only-not-a-secret\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AWS_PROFILE", "nope")
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_server.url)
    role = "arn:aws:iam::123456789012:role/opensearch-updates"

    client = aws.opensearch_client(REGION, "ops", role)

    session = aws._sessions[(REGION, "ops", role)]
    assert aws.client_region(client) == REGION
    assert session.profile == "ops"
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.access_key != "AKIAPROFILEONLY"


@pytest.mark.parametrize(
    ("error", "fragment"),
    [
        (NoCredentialsError(), "Give Pulumi AWS credentials"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "network path"),
        (UnknownServiceError(service_name="x", known_service_names=""), "AWS settings"),
    ],
)
def test_local_errors_name_next_step(error: BotoCoreError, fragment: str) -> None:
    translated = aws.translate_error(error, "DescribeDomain", "orders")

    assert translated.code == type(error).__name__
    assert fragment in translated.next_step


def test_malformed_config_file_named(aws_config_file: Path) -> None:
    aws_config_file.write_text("[default\nregion = eu-west-1\n", encoding="utf-8")

    with pytest.raises(aws.SoftwareUpdateError) as caught:
        aws.opensearch_client(REGION)

    assert caught.value.code == "ConfigParseError"
    assert str(aws_config_file) in str(caught.value)
    assert "Fix the AWS config or credentials file" in str(caught.value)
