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
from .domain import DomainUpdates
from .schedule import format_epoch_milliseconds

logger = logging.getLogger(__name__)


def describe_plan(domain_name: str, options: dict[str, Any], scheduled: str | None) -> str:
    """Return one line on what `up` would do, from the domain's software options."""
    status = options.get("update_status")
    if status == "PENDING_UPDATE":
        when = scheduled or "a time AWS has set"
        return f"{domain_name}: already scheduled for {when} ({options.get('new_version')})"
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
        self, domain_name: pulumi.Input[str], label: str, resource: pulumi.Resource
    ) -> None:
        """Schedule the log line for one domain; a no-op outside preview."""
        if not pulumi.runtime.is_dry_run():
            return
        pulumi.Output.all(domain_name, self._settings).apply(
            lambda values: self._log(values[0], values[1], label, resource)
        )

    def _log(
        self, domain_name: str | None, settings: list[Any], label: str, resource: pulumi.Resource
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
            if options.get("update_status") == "PENDING_UPDATE":
                action = domain.scheduled_update()
                if action is not None and action.start_milliseconds:
                    scheduled = format_epoch_milliseconds(action.start_milliseconds)
        except (aws.SoftwareUpdateError, BotoCoreError, ClientError) as exc:
            self._warn_once(exc, resource)
            return
        pulumi.log.info(f"{label}: {describe_plan(domain_name, options, scheduled)}", resource)

    def _warn_once(self, exc: Exception, resource: pulumi.Resource) -> None:
        with self._lock:
            if self._warned:
                logger.debug("preview annotation skipped: %s", exc)
                return
            self._warned = True
        pulumi.log.warn(
            f"could not read the domains to annotate this preview ({exc}); the preview goes "
            "on without the per-domain plan. Give the preview role es:DescribeDomain and "
            "es:ListScheduledActions, or set annotate_preview=False.",
            resource,
        )
