"""The dynamic provider behind ServiceSoftwareUpdate.

Pulumi pickles the provider object into each resource's state and unpickles it in a
separate process (pulumi-resource-pulumi-python) for every operation. This module is
importable, so the pickle holds only a reference to the class; boto3 clients are made
inside the methods and never pickled.

Contract per operation:
- check: validates inputs offline, so bad input fails at `pulumi preview` with nothing sent.
- create: describes the domain; starts the available update once, adopts one already
  pending or in progress, and succeeds without a call when the domain is current.
- read: returns the live ServiceSoftwareOptions; a deleted domain reads as gone.
- update: moves a pending update when the schedule changed, starts a newly available
  update, and otherwise only re-reads.
- delete: forgets the resource. Service software cannot be rolled back, so the domain is
  left alone.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import pulumi
from botocore.exceptions import BotoCoreError, ClientError
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from . import aws
from .schedule import (
    SCHEDULE_TIMESTAMP,
    InputError,
    is_unknown,
    normalize_schedule,
    validate_domain_name,
)

if TYPE_CHECKING:
    from mypy_boto3_opensearch import OpenSearchServiceClient

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

# Inputs a user sets; everything else in the state is read from AWS.
INPUT_KEYS = ("domain_name", "region", "schedule_at", "desired_start_time")
# Inputs whose change means another domain, so the resource is replaced, not updated.
REPLACE_KEYS = ("domain_name", "region")

OUTPUT_KEYS = (
    "current_version",
    "new_version",
    "update_available",
    "update_status",
    "cancellable",
    "description",
    "automated_update_date",
    "optional_deployment",
    "resolved_region",
)

STATUS_PENDING = "PENDING_UPDATE"
STATUS_IN_PROGRESS = "IN_PROGRESS"
STATUS_ELIGIBLE = "ELIGIBLE"
IN_FLIGHT_STATUSES = (STATUS_PENDING, STATUS_IN_PROGRESS)

# Error codes after which a StartServiceSoftwareUpdate request may still have reached AWS.
_AMBIGUOUS_START_ERRORS = ("InternalException", "ThrottlingException", "ServiceUnavailable")


class ServiceSoftwareUpdateProvider(ResourceProvider):
    """Applies the latest service software update of one OpenSearch domain."""

    # The provider captures no secret, and a plain value keeps `pulumi stack export` readable.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._default_region: str | None = None
        self._default_profile: str | None = None

    def configure(self, req: ConfigureRequest) -> None:
        """Take aws:region and aws:profile from the stack config as fallbacks."""
        region = req.config.get("aws:region")
        profile = req.config.get("aws:profile")
        self._default_region = region if isinstance(region, str) and region else None
        self._default_profile = profile if isinstance(profile, str) and profile else None

    # -- check and diff: offline ---------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate and normalize inputs without calling AWS."""
        errors: list[InputError] = []

        domain_name = news.get("domain_name")
        if not is_unknown(domain_name):
            error = validate_domain_name(domain_name)
            if error:
                errors.append(error)

        region = news.get("region")
        if region is not None and not is_unknown(region) and not _valid_region(region):
            errors.append(
                InputError(
                    "region",
                    f"region {region!r} is not an AWS region name; use one like 'us-east-1', "
                    "or leave it unset to use aws:region",
                )
            )

        now_ms = int(time.time() * 1000)
        schedule, schedule_errors = normalize_schedule(news, olds, now_ms)
        errors.extend(schedule_errors)

        inputs = {"domain_name": domain_name, "region": region, **schedule}
        failures = [CheckFailure(error.property, error.reason) for error in errors]
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Report input changes, and propose an update when refresh found a new release."""
        changed = [key for key in INPUT_KEYS if olds.get(key) != news.get(key)]
        replaces = [key for key in REPLACE_KEYS if key in changed]

        # A refresh that saw a newer release (UpdateAvailable and ELIGIBLE) makes `up`
        # start it even though no input changed; this keeps the domain current.
        new_release = bool(olds.get("update_available")) and (
            olds.get("update_status") == STATUS_ELIGIBLE
        )
        return DiffResult(
            changes=bool(changed) or new_release,
            replaces=replaces,
            delete_before_replace=False,
        )

    # -- create, read, update, delete: AWS calls ----------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Start the domain's available update once, or adopt the one in flight."""
        client = self._client(props)
        domain_name = str(props["domain_name"])
        options = self._describe(client, domain_name)
        status = options["update_status"]

        if status in IN_FLIGHT_STATUSES:
            _log_info(
                f"{domain_name}: update to {options['new_version']} is already {status}; "
                "adopting it without a new StartServiceSoftwareUpdate"
            )
        elif options["update_available"] and status == STATUS_ELIGIBLE:
            options = self._start(client, domain_name, props)
        elif not options["update_available"]:
            options["description"] = (
                f"No service software update available: {domain_name} runs "
                f"{options['current_version']}"
            )
        else:
            _log_info(
                f"{domain_name}: update to {options['new_version']} is {status}; not starting it"
            )

        outs = self._outputs(props, client, options)
        return CreateResult(domain_name, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Return the live ServiceSoftwareOptions; an empty id when the domain is gone."""
        domain_name = str(props.get("domain_name") or id_)
        client = self._client(props)
        try:
            options = self._describe(client, domain_name)
        except aws.SoftwareUpdateError as exc:
            if exc.code == "ResourceNotFoundException":
                _log_info(f"{domain_name}: domain no longer exists; dropping it from state")
                return ReadResult("", {})
            raise
        return ReadResult(id_, self._outputs(props, client, options))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Reschedule, start, or only re-read, depending on what changed.

        With unchanged inputs (for example after a new release of this package) nothing is
        started or moved unless the refreshed state showed a newer release to apply.
        """
        client = self._client(news)
        domain_name = str(news["domain_name"])
        schedule_changed = any(
            olds.get(key) != news.get(key) for key in ("schedule_at", "desired_start_time")
        )
        refreshed_new_release = bool(olds.get("update_available")) and (
            olds.get("update_status") == STATUS_ELIGIBLE
        )

        options = self._describe(client, domain_name)
        status = options["update_status"]
        if status == STATUS_PENDING and schedule_changed:
            options = self._reschedule(client, domain_name, news)
        elif (
            options["update_available"]
            and status == STATUS_ELIGIBLE
            and (schedule_changed or refreshed_new_release)
        ):
            options = self._start(client, domain_name, news)
        elif schedule_changed and status == STATUS_IN_PROGRESS:
            _log_info(
                f"{domain_name}: update is already IN_PROGRESS; the new schedule applies to "
                "the next update"
            )
        return UpdateResult(self._outputs(news, client, options))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Forget the resource; the domain and its software stay as they are."""
        _log_info(
            f"{props.get('domain_name') or id_}: removed from the stack; the domain and its "
            "service software are left unchanged"
        )

    # -- helpers ---------------------------------------------------------------------------

    def _client(self, props: dict[str, Any]) -> OpenSearchServiceClient:
        # State written by an earlier `up` pins the region, so refresh and destroy, which do
        # not run the program, reach the same region even if aws:region changed since.
        region = props.get("region") or props.get("resolved_region") or self._default_region
        return aws.opensearch_client(region, self._default_profile)

    def _describe(self, client: OpenSearchServiceClient, domain_name: str) -> dict[str, Any]:
        try:
            response = client.describe_domain(DomainName=domain_name)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate_error(exc, "DescribeDomain", domain_name) from exc
        return aws.software_options(dict(response["DomainStatus"]))

    def _start(
        self, client: OpenSearchServiceClient, domain_name: str, props: dict[str, Any]
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"DomainName": domain_name, "ScheduleAt": props["schedule_at"]}
        if props["schedule_at"] == SCHEDULE_TIMESTAMP:
            params["DesiredStartTime"] = int(props["desired_start_time"])
        try:
            response = client.start_service_software_update(**params)
        except (ClientError, BotoCoreError) as exc:
            # The call is not idempotent: after an ambiguous failure the request may have
            # been applied, so look before reporting an error that a retry would repeat.
            if _is_ambiguous(exc):
                options = self._describe(client, domain_name)
                if options["update_status"] in IN_FLIGHT_STATUSES:
                    _log_info(
                        f"{domain_name}: StartServiceSoftwareUpdate failed ({exc}) but the "
                        f"update is now {options['update_status']}; treating it as started"
                    )
                    return options
            raise aws.translate_error(exc, "StartServiceSoftwareUpdate", domain_name) from exc

        software = {"ServiceSoftwareOptions": response["ServiceSoftwareOptions"]}
        options = aws.software_options(software)
        _log_info(
            f"{domain_name}: started update {options['current_version']} -> "
            f"{options['new_version']} ({props['schedule_at']}); status {options['update_status']}"
        )
        return options

    def _reschedule(
        self,
        client: OpenSearchServiceClient,
        domain_name: str,
        props: dict[str, Any],
    ) -> dict[str, Any]:
        """Move the pending SERVICE_SOFTWARE_UPDATE action to the new schedule."""
        action_id = self._pending_action_id(client, domain_name)
        params: dict[str, Any] = {
            "DomainName": domain_name,
            "ActionID": action_id,
            "ActionType": "SERVICE_SOFTWARE_UPDATE",
            "ScheduleAt": props["schedule_at"],
        }
        if props["schedule_at"] == SCHEDULE_TIMESTAMP:
            params["DesiredStartTime"] = int(props["desired_start_time"])
        try:
            client.update_scheduled_action(**params)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate_error(exc, "UpdateScheduledAction", domain_name) from exc
        _log_info(f"{domain_name}: moved pending update {action_id} to {props['schedule_at']}")
        return self._describe(client, domain_name)

    def _pending_action_id(self, client: OpenSearchServiceClient, domain_name: str) -> str:
        kwargs: dict[str, Any] = {"DomainName": domain_name}
        while True:
            try:
                page = client.list_scheduled_actions(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise aws.translate_error(exc, "ListScheduledActions", domain_name) from exc
            for action in page.get("ScheduledActions", []):
                if action.get("Type") == "SERVICE_SOFTWARE_UPDATE":
                    return str(action["Id"])
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        raise aws.SoftwareUpdateError(
            "ListScheduledActions",
            domain_name,
            "NoPendingAction",
            "the domain reports PENDING_UPDATE but lists no SERVICE_SOFTWARE_UPDATE action",
            "Run pulumi refresh, then pulumi up again",
        )

    def _outputs(
        self,
        props: dict[str, Any],
        client: OpenSearchServiceClient,
        options: dict[str, Any],
    ) -> dict[str, Any]:
        outs = {key: props.get(key) for key in INPUT_KEYS}
        outs.update(options)
        outs["resolved_region"] = aws.client_region(client)
        return outs


def _valid_region(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = value.split("-")
    return len(parts) >= 3 and parts[-1].isdigit() and all(part.isalpha() for part in parts[:-1])


def _is_ambiguous(exc: ClientError | BotoCoreError) -> bool:
    if isinstance(exc, ClientError):
        return aws.error_code(exc) in _AMBIGUOUS_START_ERRORS
    # Read timeouts and dropped connections: the request may have been processed.
    return True


def _log_info(message: str) -> None:
    logger.info(message)
    pulumi.log.info(message)
