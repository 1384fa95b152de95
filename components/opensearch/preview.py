"""Pull-request previews: what `pulumi up` would do to each domain, logged during preview.

Runs in the program's own process and only during `pulumi preview`, with read-only
DescribeDomain calls. Without credentials (a preview in a fork's pull request, say) it
logs one warning and lets the preview go on.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pulumi
from botocore.exceptions import BotoCoreError, ClientError

from . import aws
from .domain import DomainUpdates, schedule_differs
from .schedule import format_epoch_milliseconds, is_unknown, normalize_schedule

logger = logging.getLogger(__name__)


def describe_plan(
    domain_name: str,
    options: dict[str, Any],
    scheduled: str | None,
    move_to: str | None = None,
) -> str:
    """Return one line on what `up` would do, from the domain's software options.

    ``move_to`` names the requested schedule when `up` would move a pending update to it.
    """
    status = options.get("update_status")
    if status == "NOT_ELIGIBLE":
        return (
            f"{domain_name}: update NOT_ELIGIBLE; up will not start it and a waiting wave "
            f"stops here ({options.get('description')})"
        )
    if status == "PENDING_UPDATE":
        when = scheduled or "a time AWS has set"
        line = f"{domain_name}: already scheduled for {when} ({options.get('new_version')})"
        return line + (f"; up moves it to {move_to}" if move_to else "")
    if status == "IN_PROGRESS":
        return f"{domain_name}: update to {options.get('new_version')} in progress"
    if not options.get("update_available"):
        return f"{domain_name}: up to date ({options.get('current_version')})"
    line = f"{domain_name}: {options.get('current_version')} -> {options.get('new_version')}"
    deadline = options.get("automated_update_date")
    if deadline and not options.get("optional_deployment", True):
        line += f", required by {deadline}"
    if status != "ELIGIBLE":
        line += f" ({status}; up will not start it)"
    return line


class PreviewAnnotator:
    """Logs, during preview only, one line per domain on what `up` would do."""

    def __init__(
        self,
        region: pulumi.Input[str] | None = None,
        profile: pulumi.Input[str] | None = None,
        role_arn: pulumi.Input[str] | None = None,
    ) -> None:
        self._settings = pulumi.Output.all(region, profile, role_arn)
        self._warned = False
        self._lock = threading.Lock()

    def annotate(
        self,
        domain_name: pulumi.Input[str],
        label: str,
        resource: pulumi.Resource,
        schedule: pulumi.Input[dict[str, Any]] | None = None,
    ) -> None:
        """Schedule the log line for one domain; a no-op outside preview.

        ``schedule`` contains the requested schedule_at and desired_start_time, so the line
        can say when `up` would move a pending update.
        """
        if not pulumi.runtime.is_dry_run():
            return
        pulumi.Output.all(domain_name, self._settings, schedule or {}).apply(
            lambda values: self._log(values[0], values[1], label, resource, values[2])
        )

    def _log(
        self,
        domain_name: str | None,
        settings: list[Any],
        label: str,
        resource: pulumi.Resource,
        schedule: dict[str, Any],
    ) -> None:
        if not domain_name:
            return
        region, profile, role_arn = settings
        region = region or pulumi.Config("aws").get("region")
        profile = profile or pulumi.Config("aws").get("profile")
        try:
            client = aws.opensearch_client(region, profile, role_arn)
            domain = DomainUpdates(client, domain_name)
            options = domain.describe()
            scheduled = None
            move_to = None
            if options.get("update_status") == "PENDING_UPDATE":
                action = domain.scheduled_update()
                if action is not None and action.start_milliseconds:
                    scheduled = format_epoch_milliseconds(action.start_milliseconds)
                    move_to = _requested_move(schedule, action.start_milliseconds)
        except (aws.SoftwareUpdateError, BotoCoreError, ClientError) as exc:
            self._warn_once(exc, resource)
            return
        line = describe_plan(domain_name, options, scheduled, move_to)
        pulumi.log.info(f"{label}: {line}", resource)

    def _warn_once(self, exc: Exception, resource: pulumi.Resource) -> None:
        with self._lock:
            if self._warned:
                logger.debug("preview annotation skipped: %s", exc)
                return
            self._warned = True
        pulumi.log.warn(
            f"could not read a domain to annotate this preview ({exc}). The preview goes on, "
            "and domains that cannot be read get no plan line; later failures of this kind "
            "are not repeated. Check the credentials, the region and the domain names, give "
            "the preview role es:DescribeDomain and es:ListScheduledActions, or set "
            "annotate_preview=False.",
            resource,
        )


def _requested_move(schedule: dict[str, Any], scheduled_ms: int) -> str | None:
    """Return the requested schedule when `up` would move the pending update to it."""
    schedule_at = schedule.get("schedule_at")
    desired = schedule.get("desired_start_time")
    try:
        props = normalize_schedule(
            {"schedule_at": schedule_at, "desired_start_time": desired}, {}, 0
        )[0]
    except ValueError:
        return None
    if props["schedule_at"] is None or is_unknown(props["schedule_at"]):
        return None
    if not schedule_differs(props, scheduled_ms):
        return None
    if props["schedule_at"] == "TIMESTAMP" and props["desired_start_time"]:
        return f"TIMESTAMP {format_epoch_milliseconds(int(props['desired_start_time']))}"
    return str(props["schedule_at"])
