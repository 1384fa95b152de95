"""The OpenSearch API calls for one domain's service software update.

Each method makes the calls for one step and returns the software options as snake_case
outputs (see aws.software_options). Every botocore error leaves as a SoftwareUpdateError
that names the operation, the domain, the AWS error code and the next step.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from . import aws
from .schedule import SCHEDULE_NOW, SCHEDULE_TIMESTAMP

if TYPE_CHECKING:
    from mypy_boto3_opensearch import OpenSearchServiceClient

logger = logging.getLogger(__name__)

ACTION_TYPE = "SERVICE_SOFTWARE_UPDATE"
IN_FLIGHT_STATUSES = ("PENDING_UPDATE", "IN_PROGRESS")

# A pending update this much later than a requested NOW, or this far from a requested
# TIMESTAMP, counts as scheduled differently and is moved on adoption. Milliseconds.
_NOW_TOLERANCE_MS = 3_600_000
_TIMESTAMP_TOLERANCE_MS = 60_000

# Error codes worth another StartServiceSoftwareUpdate once the domain shows that the
# failed one was not applied: throttling and server-side failures.
_RETRYABLE_START_ERRORS = (
    "InternalException",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
)
# Seconds before the second attempt of a Start, doubling for each attempt after that up
# to the cap, as botocore's backoff does. Each wait is a random 50 to 100 % of that, so
# the domains of one wave that failed together do not retry together.
_START_BACKOFF_SECONDS = 1.0
_START_MAX_BACKOFF_SECONDS = 20.0


@dataclass(frozen=True)
class ScheduledUpdate:
    """The pending SERVICE_SOFTWARE_UPDATE action: its Id and start in epoch milliseconds."""

    action_id: str
    start_milliseconds: int | None


class DomainUpdates:
    """Service software calls for one domain, through one client."""

    def __init__(
        self,
        client: OpenSearchServiceClient,
        domain_name: str,
        start_client: OpenSearchServiceClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
        describer: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self.client = client
        self.domain_name = domain_name
        # Start goes through a client without botocore retries; see start().
        self.start_client = start_client or client
        self.sleep = sleep
        # Returns one domain's DomainStatus; the provider passes a DescribeBatcher's.
        self.describer = describer or self._describe_one

    def _describe_one(self, name: str) -> dict[str, Any]:
        return dict(self.client.describe_domain(DomainName=name)["DomainStatus"])

    def describe(self) -> dict[str, Any]:
        """Return the domain's software options (one DescribeDomain, or a share of a batch)."""
        try:
            status = self.describer(self.domain_name)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate_error(exc, "DescribeDomain", self.domain_name) from exc
        return aws.software_options(status)

    def start(
        self, schedule_at: str, desired_start_time: int | None
    ) -> tuple[dict[str, Any], bool]:
        """Send StartServiceSoftwareUpdate, never twice for one update.

        Returns the software options, and whether this request is the one that AWS
        applied (False when an update already in flight was found after a failure).

        The call is not idempotent, and a lost response (timeout, dropped connection, 500)
        may hide an applied request. So botocore does not retry it. After any failure
        this describes the domain and treats an update now in flight as started, which
        also covers another stack or a person starting it a moment earlier. Only when the
        domain shows the request was not applied, and the error was throttling or a
        server failure, is it sent again, up to aws.MAX_ATTEMPTS times in all.
        """
        params: dict[str, Any] = {"DomainName": self.domain_name, "ScheduleAt": schedule_at}
        if schedule_at == SCHEDULE_TIMESTAMP and desired_start_time is not None:
            params["DesiredStartTime"] = int(desired_start_time)

        for attempt in range(1, aws.MAX_ATTEMPTS + 1):
            try:
                response = self.start_client.start_service_software_update(**params)
            except (ClientError, BotoCoreError) as exc:
                options = self.describe()
                if options["update_status"] in IN_FLIGHT_STATUSES:
                    logger.warning(
                        "%s: StartServiceSoftwareUpdate failed (%s) but the update is now %s; "
                        "treating it as started",
                        self.domain_name,
                        exc,
                        options["update_status"],
                    )
                    return options, False
                if not _is_retryable(exc) or attempt == aws.MAX_ATTEMPTS:
                    raise aws.translate_error(
                        exc, "StartServiceSoftwareUpdate", self.domain_name
                    ) from exc
                delay = _retry_delay(attempt)
                logger.info(
                    "%s: StartServiceSoftwareUpdate attempt %d failed (%s); the domain shows "
                    "it was not applied, retrying in %.1f s",
                    self.domain_name,
                    attempt,
                    exc,
                    delay,
                )
                self.sleep(delay)
                continue
            software = {"ServiceSoftwareOptions": response["ServiceSoftwareOptions"]}
            return aws.software_options(software), True
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def scheduled_update(self) -> ScheduledUpdate | None:
        """Return the pending SERVICE_SOFTWARE_UPDATE action, following NextToken pages."""
        kwargs: dict[str, Any] = {"DomainName": self.domain_name}
        while True:
            try:
                page = self.client.list_scheduled_actions(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise aws.translate_error(exc, "ListScheduledActions", self.domain_name) from exc
            for action in page.get("ScheduledActions", []):
                if action.get("Type") == ACTION_TYPE:
                    start = aws.scheduled_time_milliseconds(action.get("ScheduledTime"))
                    return ScheduledUpdate(str(action["Id"]), start)
            token = page.get("NextToken")
            if not token:
                return None
            kwargs["NextToken"] = token

    def reschedule(
        self, action: ScheduledUpdate, schedule_at: str, desired_start_time: int | None
    ) -> None:
        """Move the pending update with UpdateScheduledAction."""
        params: dict[str, Any] = {
            "DomainName": self.domain_name,
            "ActionID": action.action_id,
            "ActionType": ACTION_TYPE,
            "ScheduleAt": schedule_at,
        }
        if schedule_at == SCHEDULE_TIMESTAMP and desired_start_time is not None:
            params["DesiredStartTime"] = int(desired_start_time)
        try:
            self.client.update_scheduled_action(**params)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate_error(exc, "UpdateScheduledAction", self.domain_name) from exc

    def cancel(self) -> dict[str, Any]:
        """Cancel the pending update with CancelServiceSoftwareUpdate, as start() sends Start.

        A retried Cancel whose first response was lost fails, because nothing is left to
        cancel, so the call goes out once per attempt. After a failure the domain is
        described, and an update no longer PENDING_UPDATE ends the cancel: AWS applied
        it, or the update has begun and can no longer be cancelled.
        """
        for attempt in range(1, aws.MAX_ATTEMPTS + 1):
            try:
                response = self.start_client.cancel_service_software_update(
                    DomainName=self.domain_name
                )
            except (ClientError, BotoCoreError) as exc:
                options = self.describe()
                if options["update_status"] != "PENDING_UPDATE":
                    logger.warning(
                        "%s: CancelServiceSoftwareUpdate failed (%s) but the update is now "
                        "%s, so nothing is left to cancel",
                        self.domain_name,
                        exc,
                        options["update_status"],
                    )
                    return options
                if not _is_retryable(exc) or attempt == aws.MAX_ATTEMPTS:
                    raise aws.translate_error(
                        exc, "CancelServiceSoftwareUpdate", self.domain_name
                    ) from exc
                self.sleep(_retry_delay(attempt))
                continue
            software = {"ServiceSoftwareOptions": response["ServiceSoftwareOptions"]}
            return aws.software_options(software)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _retry_delay(attempt: int) -> float:
    """Return the seconds to wait after failed attempt number ``attempt`` (1-based)."""
    ceiling = min(_START_MAX_BACKOFF_SECONDS, _START_BACKOFF_SECONDS * 2.0 ** (attempt - 1))
    return random.uniform(0.5, 1.0) * ceiling


def _is_retryable(exc: ClientError | BotoCoreError) -> bool:
    if isinstance(exc, ClientError):
        return aws.error_code(exc) in _RETRYABLE_START_ERRORS
    # Timeouts and dropped connections; the describe before this found nothing applied.
    return True


def schedule_differs(props: dict[str, Any], scheduled_ms: int | None) -> bool:
    """Return whether a pending update's start differs from the requested schedule."""
    if scheduled_ms is None:
        return False
    if props["schedule_at"] == SCHEDULE_NOW:
        return scheduled_ms > time.time() * 1000 + _NOW_TOLERANCE_MS
    if props["schedule_at"] == SCHEDULE_TIMESTAMP and props.get("desired_start_time"):
        return abs(scheduled_ms - int(props["desired_start_time"])) > _TIMESTAMP_TOLERANCE_MS
    # Whether a time falls in the domain's off-peak window is AWS's call.
    return False
