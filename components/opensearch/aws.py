"""AWS client handling for the OpenSearch service software update provider.

One botocore client per (region, profile, role) per provider process, with explicit
timeouts and botocore's own retry handling for throttling and 5xx responses. The endpoint
comes from the AWS SDK's usual configuration, so ``AWS_ENDPOINT_URL_OPENSEARCH`` points
every call at a local emulator without any code here knowing about it. Credentials stay
inside botocore: nothing here returns them, so they cannot reach resource inputs, outputs
or state.

Clients come from botocore sessions, not boto3 ones. boto3 adds nothing to a client but
costs about 40 ms of import and session set-up in every provider process, which is a
tenth of what `pulumi refresh` of 100 domains costs beyond the engine floor
(devtools/bench.py). Region, profile, credential and endpoint resolution are botocore's
in both cases.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

# The rest of botocore is imported where a client is made, not here. The program process
# imports this module for every `pulumi preview` and `up`, but makes no client unless a
# rollout annotates its preview, and botocore.session costs about 0.1 s to import.
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from .schedule import format_epoch_milliseconds, normalize_epoch_milliseconds

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.loaders import Loader
    from botocore.session import Session
    from mypy_boto3_opensearch import OpenSearchServiceClient
    from mypy_boto3_sts import STSClient

# Seconds. StartServiceSoftwareUpdate only records a schedule, so a healthy call returns
# well within these. An endpoint that never responds blocks one call for at most
# MAX_ATTEMPTS * (CONNECT + READ) = 150 s, plus botocore's backoff between attempts.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 10

# Total attempts per call, first one included, in botocore's "standard" retry mode, which
# retries throttling errors, 5xx responses and connection errors with jittered backoff.
# With a third of all calls failing, 5 attempts left about 1 call in 240 failing
# (0.335 ** 5), so most 100-domain runs under the emulator's fault injection had a failed
# domain. 10 attempts make that about 1 call in 50,000. Between attempts botocore 1.44
# waits a random part of 1, 2, 4, 8 and 16 s, then of 20 s, after throttling: at most
# 111 s for one call. After other errors it starts from 0.05 s: at most 25.6 s. Its
# retry quota (500 units per client, 5 per throttled and 14 per other retry, refunded on
# success) ends the retries of a client sooner when most of its calls keep failing.
MAX_ATTEMPTS = 10


@functools.cache
def client_config(*, single_attempt: bool = False) -> Config:
    """Return the botocore Config of every client: timeouts, retries and user agent.

    With ``single_attempt``, botocore sends each request once. That is for calls that are
    not idempotent (StartServiceSoftwareUpdate): botocore must not resend one whose
    response was lost, because the first may have been applied. The caller checks the
    domain between attempts instead (domain.DomainUpdates.start).
    """
    from botocore.config import Config  # noqa: PLC0415 (lazy import)

    # total_max_attempts counts the first attempt; botocore's max_attempts counts retries.
    attempts = 1 if single_attempt else MAX_ATTEMPTS
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": attempts},
        user_agent_extra="pulumi-opensearch-software-update",
    )


# Name of the STS session when role_arn is set; CloudTrail shows it for every call made.
ROLE_SESSION_NAME = "pulumi-opensearch-software-update"

_clients: dict[tuple[str | None, str | None, str | None, bool], OpenSearchServiceClient] = {}
_sessions: dict[tuple[str | None, str | None, str | None], Session] = {}
# Guards both caches; botocore sessions and client creation are not thread-safe.
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
        text = f"{operation} failed for domain {domain_name!r} ({code}): {message.rstrip('. ')}"
        if next_step:
            text = f"{text}. {next_step}"
        super().__init__(text)


# Next steps for the error codes a user can act on; the API reference lists these errors.
_NEXT_STEPS = {
    "ResourceNotFoundException": (
        "Check domain_name and the region (aws:region or the region input); the domain "
        "does not exist there"
    ),
    "UnrecognizedClientException": "Check the AWS credentials that Pulumi runs with",
    "InvalidSignatureException": "Check the AWS credentials that Pulumi runs with",
    "ExpiredTokenException": "Refresh the AWS session credentials and run pulumi up again",
    "InternalException": "AWS failed internally; run pulumi up again later",
    "ThrottlingException": (
        f"AWS kept throttling after {MAX_ATTEMPTS} attempts; run pulumi up again later or with "
        "a lower --parallel"
    ),
    "SlotNotAvailableException": (
        "Pick one of the suggested start times for desired_start_time, or use schedule_at "
        "OFF_PEAK_WINDOW"
    ),
    "ValidationException": "Fix the input named in the message and run pulumi up again",
}

# For any other code: a fresh look at the domain usually shows why AWS refused.
_DEFAULT_NEXT_STEP = (
    "Run pulumi refresh to read the domain's current update status, then pulumi up again"
)


def opensearch_client(
    region: str | None,
    profile: str | None = None,
    role_arn: str | None = None,
    *,
    single_attempt: bool = False,
) -> OpenSearchServiceClient:
    """Return the process-wide OpenSearch client for this region, profile and role.

    A None region means default_region(): AWS_REGION, AWS_DEFAULT_REGION, the profile.
    With role_arn, the profile's credentials assume that role through STS, and botocore
    refreshes the role's temporary credentials before they expire. ``single_attempt``
    turns botocore's retries off, for calls that are not idempotent. Clients are shared
    because creating one costs tens of milliseconds and the engine calls the provider
    once per resource. Raises SoftwareUpdateError for an unknown profile.
    """
    key = (region, profile, role_arn, single_attempt)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            with _collection_paused():
                session = _session(region, profile, role_arn)
                config = client_config(single_attempt=single_attempt)
                # botocore's stubs type every client as BaseClient; this one is OpenSearch's.
                client = cast(
                    "OpenSearchServiceClient", session.create_client("opensearch", config=config)
                )
                _freeze_loaded_models()
            _clients[key] = client
        return client


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """Turn automatic garbage collection off inside the block, if it was on.

    Importing botocore and loading a client's models allocates so many containers that
    the collector ran about 80 times, a full collection among them. That took about
    30 ms of the 0.2 s that the first client cost a provider process (measured with
    gc.callbacks). A gc.collect() right after such a block found no unreachable object,
    so pausing leaks nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _freeze_loaded_models() -> None:
    """Exempt what exists now, mostly botocore's loaded models, from garbage collection.

    A client loads the service model, endpoint rules and partitions as tens of thousands
    of small dicts and lists, which stay alive until the process ends. Without this, every
    full collection walks all of them again, and so does the interpreter at exit. The
    exit alone took about 0.2 s of each provider process, measured in engine logs: a third
    of what `pulumi refresh` of one resource cost beyond the engine floor (devtools/bench.py).
    gc.freeze only makes collections skip these objects: a frozen object caught in a
    reference cycle is not reclaimed before exit, and objects made afterwards are
    collected as usual. It does nothing once anything in the process has frozen objects.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()


def _session(region: str | None, profile: str | None, role_arn: str | None) -> Session:
    # One session per (region, profile, role): both clients share its loaded service
    # model and credentials, so the second client costs about 8 ms instead of 70 ms.
    key = (region, profile, role_arn)
    session = _sessions.get(key)
    if session is not None:
        return session
    session = _profile_session(profile, region)
    if not session.get_config_variable("region"):
        raise _setup_error(
            "NoRegion",
            "no AWS region is set",
            "Set the stack's aws:region (pulumi config set aws:region eu-west-1), the "
            "region input, or AWS_REGION",
        )
    if role_arn:
        session = _assumed_role_session(session, profile, role_arn)
    _sessions[key] = session
    return session


def _setup_error(code: str, message: str, next_step: str) -> SoftwareUpdateError:
    """Return the error of a session that cannot be set up, which fails every domain."""
    return SoftwareUpdateError("CreateClient", "(all domains)", code, message, next_step)


def default_region(profile: str | None = None) -> str | None:
    """Return the region used when none is given: AWS_REGION, then botocore's own chain.

    botocore's chain is AWS_DEFAULT_REGION, then the region of ``profile`` (None means
    AWS_DEFAULT_PROFILE, AWS_PROFILE or the default profile). Reads only the environment
    and the AWS config files, and sends nothing. Returns None when no region is set or
    the profile cannot be read (profile_problem returns why).
    """
    region = _environment_region()
    if region:
        return region
    from botocore.session import Session  # noqa: PLC0415 (lazy import)

    try:
        region = Session(profile=profile).get_config_variable("region")
    except BotoCoreError:
        return None
    return str(region) if region else None


def profile_problem(profile: str | None = None) -> str | None:
    """Return why ``profile`` cannot be used, or None when the AWS config files define it.

    None as ``profile`` checks AWS_DEFAULT_PROFILE or AWS_PROFILE, and is fine when both
    are unset, because the default profile may be absent. Reads only the config and
    credentials files, and sends nothing.
    """
    # botocore reads AWS_DEFAULT_PROFILE first, then AWS_PROFILE.
    name = profile or os.environ.get("AWS_DEFAULT_PROFILE") or os.environ.get("AWS_PROFILE")
    if not name:
        # No botocore import then, so a `pulumi preview` that names no profile does not
        # pay about 0.1 s for it.
        return None
    from botocore.session import Session  # noqa: PLC0415 (lazy import)

    try:
        Session(profile=name).get_scoped_config()
    except ProfileNotFound:
        return f"profile {name!r} is not in the AWS config files"
    except BotoCoreError as exc:
        return f"the AWS config files cannot be read: {exc}"
    return None


def _environment_region() -> str | None:
    # botocore reads AWS_DEFAULT_REGION only, while the AWS SDKs for JavaScript and Kotlin
    # read AWS_REGION (their region guides), so users who set it expect it to apply.
    return os.environ.get("AWS_REGION") or None


def _profile_session(profile: str | None, region: str | None) -> Session:
    from botocore.session import Session  # noqa: PLC0415 (lazy import)

    session = Session(profile=profile)
    region = region or _environment_region()
    if region:
        session.set_config_variable("region", region)
    try:
        # botocore reads the config files on first use, so an unknown profile fails here,
        # not at the first call.
        session.get_scoped_config()
    except ProfileNotFound as exc:
        raise _setup_error(
            "ProfileNotFound",
            str(exc),
            "Fix the profile input or the stack's aws:profile config, or add the "
            "profile to the AWS config files",
        ) from exc
    except BotoCoreError as exc:
        # ConfigParseError, for example: the message names the file and what is wrong.
        raise _setup_error(
            type(exc).__name__,
            str(exc),
            "Fix the AWS config or credentials file named in the message (AWS_CONFIG_FILE "
            "and AWS_SHARED_CREDENTIALS_FILE set their paths)",
        ) from exc
    _use_narrow_loader(session)
    return session


def _use_narrow_loader(session: Session) -> None:
    """Give ``session`` a botocore Loader that checks one service at a time.

    Before it loads a service model, botocore's Loader lists every service it has data
    for, to check that the name exists. That is about 900 directory listings and 2,800
    stat calls, or about 30 ms of the first client in each provider process. This
    Loader looks only in the folder of the service asked for. So any service still
    works: opensearch and sts for this module, and the ones that botocore's credential
    providers call, such as sso and sso-oidc for an SSO profile. Search paths are
    botocore's own (AWS_DATA_PATH included), so the models loaded are the same.
    """
    from botocore.loaders import create_loader  # noqa: PLC0415 (lazy import)

    # The Loader that botocore would make, for its search paths only: creating it reads
    # no folder.
    paths = create_loader(session.get_config_variable("data_path")).search_paths
    loader = _narrow_loader_class()(extra_search_paths=paths, include_default_search_paths=False)
    session.register_component("data_loader", loader)


@functools.cache
def _narrow_loader_class() -> type[Loader]:
    from botocore.exceptions import DataNotFoundError  # noqa: PLC0415 (lazy import)
    from botocore.loaders import Loader  # noqa: PLC0415 (lazy import)

    class ServicesWithData(list[str]):
        """Service names, each looked up only when a caller asks whether it is present.

        botocore 1.44's Loader.load_service_model uses the list only for ``name in
        services``, and joins it into its UnknownServiceError message, which then lists
        no names. NOTE: a botocore that iterates the list instead would find no service;
        tests/test_aws.py makes clients through this Loader and would fail.
        """

        def __init__(self, loader: Loader, type_name: str) -> None:
            super().__init__()
            self._loader = loader
            self._type_name = type_name

        def __contains__(self, name: object) -> bool:
            if not isinstance(name, str):
                return False
            try:
                self._loader.list_api_versions(name, self._type_name)
            except DataNotFoundError:
                return False
            return True

    class NarrowLoader(Loader):
        def list_available_services(self, type_name: str) -> list[str]:
            return ServicesWithData(self, type_name)

    return NarrowLoader


def _assumed_role_session(base: Session, profile: str | None, role_arn: str) -> Session:
    from botocore.credentials import RefreshableCredentials  # noqa: PLC0415 (lazy import)
    from botocore.session import Session  # noqa: PLC0415 (lazy import)

    sts = cast("STSClient", base.create_client("sts", config=client_config()))

    def fetch() -> dict[str, Any]:
        try:
            response = sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)
        except (ClientError, BotoCoreError) as exc:
            raise translate_error(exc, "AssumeRole", role_arn) from exc
        credentials = response["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    refreshable = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )
    # The same profile as the base session, so its other settings (endpoints, CA bundle,
    # retries) apply to the role's clients too. Only the credentials differ.
    session = Session(profile=profile)
    _use_narrow_loader(session)
    # botocore has no public setter for refreshable credentials; this attribute is what
    # its own credential resolver fills, so every client of the session refreshes them.
    session._credentials = refreshable  # type: ignore[attr-defined]
    session.set_config_variable("region", base.get_config_variable("region"))
    return session


def client_region(client: OpenSearchServiceClient) -> str:
    """Return the region a client sends its requests to."""
    return str(client.meta.region_name)


def error_code(exc: ClientError) -> str:
    """Return the AWS error code of a ClientError, such as ResourceNotFoundException."""
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def translate_error(
    exc: ClientError | BotoCoreError, operation: str, domain_name: str
) -> SoftwareUpdateError:
    """Wrap a botocore error in a SoftwareUpdateError that names the next step."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        suggestions = exc.response.get("SlotSuggestions")
        if code == "SlotNotAvailableException" and isinstance(suggestions, list):
            # SlotSuggestions are epoch milliseconds; people pick from readable times.
            times = ", ".join(format_epoch_milliseconds(int(slot)) for slot in suggestions)
            message = (
                f"{message.rstrip('. ')}; suggested start times (UTC): {times or 'none given'}"
            )
        next_step = _NEXT_STEPS.get(code, _DEFAULT_NEXT_STEP)
        if code == "AccessDeniedException":
            next_step = f"Grant the caller the es:{operation} action on this domain"
        return SoftwareUpdateError(operation, domain_name, code, message, next_step)
    return SoftwareUpdateError(
        operation, domain_name, type(exc).__name__, str(exc), _local_next_step(exc)
    )


def _local_next_step(exc: BotoCoreError) -> str:
    """Return the next step for an error raised before or without an AWS response."""
    if isinstance(exc, NoCredentialsError):
        # botocore skips the environment's keys when a profile is named explicitly, so a
        # profile input or aws:profile must carry credentials of its own.
        return (
            "Give Pulumi AWS credentials: environment variables, or a profile with keys, "
            "SSO or a role (a profile input or aws:profile must have credentials of its own)"
        )
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return "Check the network path to the OpenSearch endpoint and run pulumi up again"
    return "Check the AWS settings (profile, region, credentials) and run pulumi up again"


def software_options(domain_status: dict[str, Any]) -> dict[str, Any]:
    """Return the snake_case outputs for a DomainStatus's ServiceSoftwareOptions.

    automated_update_date is an ISO-8601 UTC string, or None when AWS sets no deadline
    (botocore parses the wire's epoch seconds into a datetime). off_peak_window_enabled
    comes from OffPeakWindowOptions and is None when the response lacks it.
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
        "off_peak_window_enabled": (domain_status.get("OffPeakWindowOptions") or {}).get("Enabled"),
    }


def _format_deadline(value: Any) -> str | None:
    if not isinstance(value, dt.datetime):
        return None
    # A deadline at or before the epoch means none: moto, and so the emulator, sends 0 for
    # a domain without a required update.
    if value.timestamp() <= 0:
        return None
    return format_epoch_milliseconds(int(value.timestamp() * 1000))


def scheduled_time_milliseconds(value: Any) -> int | None:
    """Return a ScheduledAction's ScheduledTime in epoch milliseconds.

    The API reference types ScheduledTime as a Long and names no unit, so values below
    10**12 are read as epoch seconds and larger ones as epoch milliseconds.
    """
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return None
    return normalize_epoch_milliseconds(value)
