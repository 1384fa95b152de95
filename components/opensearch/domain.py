"""The OpenSearch API calls for one domain's service software update.

Each method makes the calls for one step and returns the software options as snake_case
outputs (see aws.software_options). Every botocore error leaves as a SoftwareUpdateError
that names the operation, the domain, the AWS error code and the next step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from . import aws
from .schedule import SCHEDULE_TIMESTAMP

if TYPE_CHECKING:
    from mypy_boto3_opensearch import OpenSearchServiceClient

logger = logging.getLogger(__name__)

ACTION_TYPE = "SERVICE_SOFTWARE_UPDATE"
IN_FLIGHT_STATUSES = ("PENDING_UPDATE", "IN_PROGRESS")

# Error codes after which a StartServiceSoftwareUpdate request may still have reached AWS.
_AMBIGUOUS_START_ERRORS = ("InternalException", "ThrottlingException", "ServiceUnavailable")


@dataclass(frozen=True)
class ScheduledUpdate:
    """The pending SERVICE_SOFTWARE_UPDATE action: its Id and start in epoch milliseconds."""

    action_id: str
    start_milliseconds: int | None


class DomainUpdates:
    """Service software calls for one domain, through one client."""

    def __init__(self, client: OpenSearchServiceClient, domain_name: str) -> None:
        self.client = client
        self.domain_name = domain_name

    def describe(self) -> dict[str, Any]:
        """Return the domain's software options (one DescribeDomain call)."""
        try:
            response = self.client.describe_domain(DomainName=self.domain_name)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate_error(exc, "DescribeDomain", self.domain_name) from exc
        return aws.software_options(dict(response["DomainStatus"]))

    def start(self, schedule_at: str, desired_start_time: int | None) -> dict[str, Any]:
        """Call StartServiceSoftwareUpdate once and return the options it reports.

        The call is not idempotent: after a failure that may hide an accepted request
        (a 500, throttling that outlasted the retries, a timeout or a dropped
        connection), describe the domain and treat an update now in flight as started
        rather than report an error that a retry would turn into a second request.
        """
        params: dict[str, Any] = {"DomainName": self.domain_name, "ScheduleAt": schedule_at}
        if schedule_at == SCHEDULE_TIMESTAMP and desired_start_time is not None:
            params["DesiredStartTime"] = int(desired_start_time)
        try:
            response = self.client.start_service_software_update(**params)
        except (ClientError, BotoCoreError) as exc:
            if _is_ambiguous(exc):
                options = self.describe()
                if options["update_status"] in IN_FLIGHT_STATUSES:
                    logger.warning(
                        "%s: StartServiceSoftwareUpdate failed (%s) but the update is now %s",
                        self.domain_name,
                        exc,
                        options["update_status"],
                    )
                    return options
            raise aws.translate_error(exc, "StartServiceSoftwareUpdate", self.domain_name) from exc
        software = {"ServiceSoftwareOptions": response["ServiceSoftwareOptions"]}
        return aws.software_options(software)

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
        """Cancel the pending update with CancelServiceSoftwareUpdate."""
        try:
            response = self.client.cancel_service_software_update(DomainName=self.domain_name)
        except (ClientError, BotoCoreError) as exc:
            raise aws.translate_error(exc, "CancelServiceSoftwareUpdate", self.domain_name) from exc
        software = {"ServiceSoftwareOptions": response["ServiceSoftwareOptions"]}
        return aws.software_options(software)


def _is_ambiguous(exc: ClientError | BotoCoreError) -> bool:
    if isinstance(exc, ClientError):
        return aws.error_code(exc) in _AMBIGUOUS_START_ERRORS
    # Read timeouts and dropped connections: the request may have been processed.
    return True
