"""AWS client handling for the OpenSearch service software update provider.

One boto3 client per (region, profile) per provider process, with explicit timeouts and
botocore's own retry handling for throttling and 5xx answers. The endpoint comes from
boto3's usual configuration, so ``AWS_ENDPOINT_URL_OPENSEARCH`` points every call at a
local emulator without any code here knowing about it.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_opensearch import OpenSearchServiceClient

# Seconds. StartServiceSoftwareUpdate only records a schedule, so a healthy call answers
# well within these; a hung connection must not hold `pulumi up` for botocore's 60 s default.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20

# Total attempts per call, first one included, in botocore's "standard" retry mode, which
# retries throttling errors, 5xx answers and connection errors with jittered backoff.
MAX_ATTEMPTS = 5

_CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
    user_agent_extra="pulumi-opensearch-software-update",
)

_clients: dict[tuple[str | None, str | None], OpenSearchServiceClient] = {}
_clients_lock = threading.Lock()


class SoftwareUpdateError(Exception):
    """An AWS call for a domain failed; the message names the operation, code and next step."""

    def __init__(
        self,
        operation: str,
        domain_name: str,
        code: str,
        message: str,
        next_step: str = "",
    ) -> None:
        self.operation = operation
        self.domain_name = domain_name
        self.code = code
        self.aws_message = message
        self.next_step = next_step
        text = f"{operation} failed for domain {domain_name!r} ({code}): {message}"
        if next_step:
            text = f"{text}. {next_step}"
        super().__init__(text)


# Next steps for the error codes a user can act on; the API reference lists these errors.
_NEXT_STEPS = {
    "ResourceNotFoundException": (
        "Check domain_name and the region (aws:region or the region input); the domain "
        "does not exist there"
    ),
    "AccessDeniedException": (
        "Grant the caller the es:DescribeDomain and es:StartServiceSoftwareUpdate actions "
        "on this domain"
    ),
    "UnrecognizedClientException": "Check the AWS credentials that Pulumi runs with",
    "InvalidSignatureException": "Check the AWS credentials that Pulumi runs with",
    "ExpiredTokenException": "Refresh the AWS session credentials and run pulumi up again",
    "InternalException": "AWS failed internally; run pulumi up again later",
    "ThrottlingException": (
        f"AWS kept throttling after {MAX_ATTEMPTS} attempts; run pulumi up again later or with "
        "a lower --parallel"
    ),
}


def opensearch_client(region: str | None, profile: str | None = None) -> OpenSearchServiceClient:
    """Return the process-wide OpenSearch client for this region and profile.

    A None region lets boto3 resolve it (AWS_REGION, AWS_DEFAULT_REGION, the profile).
    Clients are shared because creating one costs tens of milliseconds and the engine
    calls the provider once per resource.
    """
    key = (region, profile)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            session = boto3.session.Session(profile_name=profile, region_name=region)
            client = session.client("opensearch", config=_CLIENT_CONFIG)
            _clients[key] = client
        return client


def client_region(client: OpenSearchServiceClient) -> str:
    """Return the region a client sends its requests to."""
    return str(client.meta.region_name)


def error_code(exc: ClientError) -> str:
    """Return the AWS error code of a ClientError, such as ResourceNotFoundException."""
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def translate_error(
    exc: ClientError | BotoCoreError, operation: str, domain_name: str
) -> SoftwareUpdateError:
    """Wrap a botocore error in a SoftwareUpdateError that says what to do next."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        return SoftwareUpdateError(operation, domain_name, code, message, _NEXT_STEPS.get(code, ""))
    return SoftwareUpdateError(
        operation,
        domain_name,
        type(exc).__name__,
        str(exc),
        "Check the network path to the OpenSearch endpoint and run pulumi up again",
    )


def software_options(domain_status: dict[str, Any]) -> dict[str, Any]:
    """Return the snake_case outputs for a DomainStatus's ServiceSoftwareOptions.

    automated_update_date is an ISO-8601 UTC string, or None when AWS sets no deadline
    (botocore parses the wire's epoch seconds into a datetime).
    """
    options = domain_status.get("ServiceSoftwareOptions") or {}
    deadline = options.get("AutomatedUpdateDate")
    return {
        "current_version": options.get("CurrentVersion") or None,
        "new_version": options.get("NewVersion") or None,
        "update_available": bool(options.get("UpdateAvailable", False)),
        "update_status": options.get("UpdateStatus") or None,
        "cancellable": bool(options.get("Cancellable", False)),
        "description": options.get("Description") or None,
        "automated_update_date": _format_deadline(deadline),
        "optional_deployment": bool(options.get("OptionalDeployment", True)),
    }


def _format_deadline(value: Any) -> str | None:
    if not isinstance(value, dt.datetime):
        return None
    # AWS sends 0 for "no deadline" on domains without a pending required update.
    if value.timestamp() <= 0:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
