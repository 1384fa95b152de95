"""SoftwareUpdateRollout: service software updates for a fleet of domains, in waves.

Wave n+1 depends on every update of wave n, and the updates of every wave but the last
wait for COMPLETED, so the engine sends no update request for a wave before the previous
wave has finished. A failure or timeout in a wave stops the rollout there: Pulumi skips
the resources that depend on a failed one. The next `pulumi up` resumes, because
completed updates show no change and an update in flight is adopted, not started again.

NOTE: Pulumi's Python dynamic-provider host (SDK 3.272) runs at most 4 provider calls at
once, and each waiting update occupies one, so a wave waits for at most 4 domains at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi

from .preview import PreviewAnnotator
from .resource import ServiceSoftwareUpdate
from .schedule import InvalidInputError

if TYPE_CHECKING:
    import datetime as dt

COMPONENT_TYPE = "components:opensearch:SoftwareUpdateRollout"


@dataclass(frozen=True)
class DomainRef:
    """A domain whose name is an Output, under a key that names its child resource."""

    key: str
    domain_name: pulumi.Input[str]


DomainEntry = str | DomainRef | pulumi.CustomResource


@dataclass
class Wave:
    """One wave of a rollout: its domains and their schedule.

    ``domains`` contains names, DomainRef entries, or ``pulumi_aws.opensearch.Domain``
    resources from the same program (their ``domain_name`` output is used, and the update
    depends on them). ``wait_for_completion`` defaults to True for every wave but the
    last, which is what gates the next wave.
    """

    domains: Sequence[DomainEntry]
    name: str | None = None
    schedule_at: pulumi.Input[str] | None = None
    desired_start_time: pulumi.Input[int | str] | dt.datetime | None = None
    completion_timeout: pulumi.Input[float] | None = None
    wait_for_completion: bool | None = None
    options: dict[str, Any] = field(default_factory=dict)


class SoftwareUpdateRollout(pulumi.ComponentResource):
    """SoftwareUpdateRollout applies service software updates to domains, wave by wave."""

    domains: pulumi.Output[dict[str, Any]]
    """Map from domain key to its wave, status, versions and deadline."""
    waves: pulumi.Output[list[str]]
    """One line per wave, such as 'wave 1 (dev): 2 of 2 COMPLETED'."""
    updates: dict[str, ServiceSoftwareUpdate]
    """The child resource of each domain key."""

    def __init__(
        self,
        resource_name: str,
        *,
        waves: Sequence[Wave],
        annotate_preview: bool = True,
        region: pulumi.Input[str] | None = None,
        profile: pulumi.Input[str] | None = None,
        role_arn: pulumi.Input[str] | None = None,
        cancel_on_delete: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare one ServiceSoftwareUpdate per domain, gated wave by wave.

        :param resource_name: Pulumi name of the rollout; child names start with it.
        :param waves: Waves in rollout order; a domain may appear in only one wave.
        :param annotate_preview: During ``pulumi preview``, describe each domain (read
            only) and log what ``up`` would do. Without credentials it logs one warning.
        :param region: Region of every domain; defaults to aws:region.
        :param profile: AWS profile for every call; defaults to aws:profile.
        :param role_arn: IAM role to assume for every call.
        :param cancel_on_delete: Passed to every update; see ServiceSoftwareUpdate.
        :param opts: Resource options of the component.
        """
        super().__init__(COMPONENT_TYPE, resource_name, None, opts)
        _validate_waves(resource_name, waves)

        annotator = PreviewAnnotator(region=region, profile=profile, role_arn=role_arn)
        self.updates = {}
        previous_wave: list[pulumi.Resource] = []
        summaries: list[pulumi.Output[str]] = []
        domain_outputs: dict[str, pulumi.Output[dict[str, Any]]] = {}

        for index, wave in enumerate(waves):
            label = f"wave {index + 1}" + (f" ({wave.name})" if wave.name else "")
            is_last = index == len(waves) - 1
            wait = wave.wait_for_completion if wave.wait_for_completion is not None else not is_last
            current_wave: list[pulumi.Resource] = []

            for entry in wave.domains:
                key, domain_name, domain_resource = _resolve_entry(entry)
                depends_on: list[pulumi.Resource] = list(previous_wave)
                if domain_resource is not None:
                    depends_on.append(domain_resource)
                update = ServiceSoftwareUpdate(
                    f"{resource_name}-{key}",
                    domain_name=domain_name,
                    schedule_at=wave.schedule_at,
                    desired_start_time=wave.desired_start_time,
                    completion_timeout=wave.completion_timeout,
                    wait_for_completion=wait,
                    region=region,
                    profile=profile,
                    role_arn=role_arn,
                    cancel_on_delete=cancel_on_delete,
                    wave=label,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
                    **wave.options,
                )
                if annotate_preview:
                    schedule = pulumi.Output.all(
                        schedule_at=wave.schedule_at,
                        desired_start_time=wave.desired_start_time,
                    )
                    annotator.annotate(domain_name, label, self, schedule)
                self.updates[key] = update
                current_wave.append(update)
                domain_outputs[key] = pulumi.Output.all(
                    wave=label,
                    domain_name=update.domain_name,
                    update_status=update.update_status,
                    current_version=update.current_version,
                    new_version=update.new_version,
                    automated_update_date=update.automated_update_date,
                )

            summaries.append(_wave_summary(label, current_wave))
            previous_wave = current_wave

        self.domains = (
            pulumi.Output.all(**domain_outputs) if domain_outputs else pulumi.Output.from_input({})
        )
        self.waves = pulumi.Output.all(*summaries)
        self.register_outputs({"domains": self.domains, "waves": self.waves})


def _validate_waves(resource_name: str, waves: Sequence[Wave]) -> None:
    if not waves:
        raise InvalidInputError(
            f"SoftwareUpdateRollout {resource_name!r}: waves is empty; give at least one Wave "
            "with at least one domain"
        )
    seen: dict[str, int] = {}
    for index, wave in enumerate(waves):
        if not isinstance(wave, Wave):
            raise InvalidInputError(
                f"SoftwareUpdateRollout {resource_name!r}: waves[{index}] must be a Wave, got "
                f"{type(wave).__name__}"
            )
        if not wave.domains:
            raise InvalidInputError(
                f"SoftwareUpdateRollout {resource_name!r}: waves[{index}] has no domains; "
                "remove the wave or list at least one domain"
            )
        for entry in wave.domains:
            key = _resolve_entry(entry)[0]
            if key in seen:
                raise InvalidInputError(
                    f"SoftwareUpdateRollout {resource_name!r}: domain {key!r} is in waves "
                    f"[{seen[key]}] and [{index}]; a domain belongs to one wave"
                )
            seen[key] = index


def _resolve_entry(
    entry: DomainEntry,
) -> tuple[str, pulumi.Input[str], pulumi.CustomResource | None]:
    """Return the child key, the domain name input and the resource to depend on."""
    if isinstance(entry, str):
        return entry, entry, None
    if isinstance(entry, DomainRef):
        return entry.key, entry.domain_name, None
    domain_name = getattr(entry, "domain_name", None)
    if isinstance(entry, pulumi.CustomResource) and isinstance(domain_name, pulumi.Output):
        return entry.pulumi_resource_name, domain_name, entry
    raise InvalidInputError(
        f"a wave's domain must be a name, a DomainRef or a pulumi_aws.opensearch.Domain, got "
        f"{type(entry).__name__} {entry!r}; wrap an Output[str] name as DomainRef(key, name)"
    )


def _wave_summary(label: str, updates: list[pulumi.Resource]) -> pulumi.Output[str]:
    statuses = [update.update_status for update in updates]  # type: ignore[attr-defined]

    def summarize(values: list[str | None]) -> str:
        done = sum(1 for value in values if value == "COMPLETED")
        others = sorted({value or "unknown" for value in values if value != "COMPLETED"})
        line = f"{label}: {done} of {len(values)} COMPLETED"
        return line + (f"; others {', '.join(others)}" if others else "")

    return pulumi.Output.all(*statuses).apply(summarize)
