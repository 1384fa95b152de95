"""ServiceSoftwareUpdate: one OpenSearch domain's service software update as a resource."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from .provider import OUTPUT_KEYS, ServiceSoftwareUpdateProvider
from .schedule import InvalidInputError, to_epoch_milliseconds

# One instance serves every resource; it pickles to a reference to its class.
_PROVIDER = ServiceSoftwareUpdateProvider()


class ServiceSoftwareUpdate(Resource, module="opensearch", name="ServiceSoftwareUpdate"):
    """ServiceSoftwareUpdate applies the latest service software to an OpenSearch domain.

    ``pulumi up`` starts the update that AWS offers for the domain (StartServiceSoftwareUpdate),
    or adopts one that is already pending or in progress; ``pulumi refresh`` reads its
    progress. Destroying the resource leaves the domain unchanged.
    """

    domain_name: pulumi.Output[str]
    """Name of the domain."""
    region: pulumi.Output[str | None]
    """Region input as given; None means aws:region or the AWS SDK's default."""
    schedule_at: pulumi.Output[str]
    """NOW, TIMESTAMP or OFF_PEAK_WINDOW."""
    desired_start_time: pulumi.Output[int | None]
    """Requested start in epoch milliseconds, set only for TIMESTAMP."""
    current_version: pulumi.Output[str | None]
    """Service software version the domain runs, such as R20250403-P5."""
    new_version: pulumi.Output[str | None]
    """Version the update installs; None when the domain is current."""
    update_available: pulumi.Output[bool]
    """Whether AWS offers an update the domain has not started."""
    update_status: pulumi.Output[str | None]
    """PENDING_UPDATE, IN_PROGRESS, COMPLETED, ELIGIBLE or NOT_ELIGIBLE, as AWS reports it."""
    cancellable: pulumi.Output[bool]
    """Whether the pending update can still be cancelled."""
    description: pulumi.Output[str | None]
    """AWS's description of the update state, or why nothing was started."""
    automated_update_date: pulumi.Output[str | None]
    """ISO-8601 UTC time after which AWS applies a required update itself; None if unset."""
    optional_deployment: pulumi.Output[bool]
    """False when the update is required and AWS will apply it by automated_update_date."""
    wait_for_completion: pulumi.Output[bool]
    """Whether create and update return only once the update is COMPLETED."""
    completion_timeout: pulumi.Output[float]
    """Minutes to wait for COMPLETED when wait_for_completion is set."""
    cancel_on_delete: pulumi.Output[bool]
    """Whether destroy and replace cancel a pending optional update."""
    triggers: pulumi.Output[Any]
    """Any value; a change applies the latest available update again."""
    profile: pulumi.Output[str | None]
    """Named AWS profile used for the calls, as given."""
    role_arn: pulumi.Output[str | None]
    """IAM role assumed for the calls, as given."""
    wave: pulumi.Output[str | None]
    """Rollout wave label, as given."""
    off_peak_window_enabled: pulumi.Output[bool | None]
    """Whether the domain's off-peak window is enabled; None if DescribeDomain omitted it."""
    scheduled_start_time: pulumi.Output[str | None]
    """ISO-8601 UTC start of the pending update when known, else None."""
    resolved_region: pulumi.Output[str]
    """Region the provider called, kept so that refresh and destroy call the same one."""

    def __init__(
        self,
        resource_name: str,
        *,
        domain_name: pulumi.Input[str],
        schedule_at: pulumi.Input[str] | None = None,
        desired_start_time: pulumi.Input[int | str] | dt.datetime | None = None,
        region: pulumi.Input[str] | None = None,
        wait_for_completion: pulumi.Input[bool] | None = None,
        completion_timeout: pulumi.Input[float] | None = None,
        cancel_on_delete: pulumi.Input[bool] | None = None,
        triggers: pulumi.Input[Any] | None = None,
        profile: pulumi.Input[str] | None = None,
        role_arn: pulumi.Input[str] | None = None,
        wave: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the service software update of one domain.

        :param resource_name: Pulumi name of the resource, unique in the stack.
        :param domain_name: Name of an existing OpenSearch domain (3 to 28 characters of
            lowercase letters, digits and hyphens, starting with a letter).
        :param schedule_at: When to start: NOW, TIMESTAMP (at desired_start_time) or
            OFF_PEAK_WINDOW (the domain's next off-peak window). Defaults to TIMESTAMP when
            desired_start_time is set, else NOW, as in the AWS API.
        :param desired_start_time: Start time for TIMESTAMP, as epoch milliseconds (int),
            an ISO-8601 string with a UTC offset, or a timezone-aware datetime. Stored and
            sent as epoch milliseconds.
        :param region: AWS region of the domain. Defaults to the stack's aws:region, then
            to the AWS SDK's default chain (AWS_REGION, AWS_DEFAULT_REGION, the profile).
        :param wait_for_completion: Return from create and update only once the update is
            COMPLETED. Defaults to False.
        :param completion_timeout: Minutes to wait when wait_for_completion is set, more
            than 0 and at most 1440. Defaults to 120. On timeout the update keeps running
            in AWS, and the next ``pulumi up`` adopts it.
        :param cancel_on_delete: On destroy or replace, cancel the update if it is still
            PENDING_UPDATE and cancellable (optional updates only). Defaults to False.
        :param triggers: Any JSON-serializable value; a change applies the latest available
            update again, like the triggers of pulumi-command.
        :param profile: Named profile from the AWS config files. Defaults to aws:profile,
            then to the AWS SDK's default chain.
        :param role_arn: IAM role to assume through STS for the calls, with the profile's
            or the default credentials. Credentials never enter the stack's state.
        :param wave: Label of the rollout wave, put in front of error messages;
            SoftwareUpdateRollout sets it.
        :param opts: Resource options.
        """
        if opts is not None and opts.import_ is not None:
            # The dynamic-provider host cannot import: it needs the pickled provider, which
            # only a declared resource carries (pulumi/pulumi#16175). Declaring is enough.
            raise InvalidInputError(
                f"ServiceSoftwareUpdate {resource_name!r}: import_={opts.import_!r} is not "
                "supported; remove import_ and declare the resource as usual, and pulumi up "
                "adopts an update that is already pending or in progress without starting "
                "another"
            )
        if isinstance(desired_start_time, dt.datetime):
            # A datetime cannot cross to the provider process, so it is converted here. A
            # naive one gets the message that check gives for strings without an offset.
            try:
                desired_start_time = to_epoch_milliseconds(desired_start_time)
            except ValueError as exc:
                raise InvalidInputError(f"ServiceSoftwareUpdate {resource_name!r}: {exc}") from None

        props: dict[str, Any] = {
            "domain_name": domain_name,
            "region": region,
            "schedule_at": schedule_at,
            "desired_start_time": desired_start_time,
            "wait_for_completion": wait_for_completion,
            "completion_timeout": completion_timeout,
            "cancel_on_delete": cancel_on_delete,
            "triggers": triggers,
            "profile": profile,
            "role_arn": role_arn,
            "wave": wave,
        }
        props.update(dict.fromkeys(OUTPUT_KEYS))
        super().__init__(_PROVIDER, resource_name, props, opts)
