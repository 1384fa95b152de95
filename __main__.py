"""Example program: one ServiceSoftwareUpdate per domain listed in stack config.

Stack config (Pulumi.<stack>.yaml)::

    config:
      aws:region: eu-west-1
      opensearch-updates:scheduleAt: OFF_PEAK_WINDOW   # default for every domain
      opensearch-updates:domains:
        - logs-dev                                     # a name takes the defaults
        - name: search-prod                            # or an object with its own schedule
          scheduleAt: TIMESTAMP
          desiredStartTime: "2026-12-06T02:00:00Z"

The stack exports ``updates``, a map from domain name to its versions and status, and
``summary``, one readable line per domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.opensearch import ServiceSoftwareUpdate

_DOMAIN_KEYS = {"name", "scheduleAt", "desiredStartTime", "region"}


@dataclass(frozen=True)
class Target:
    """One domain to update, with its schedule after defaults are applied."""

    domain_name: str
    schedule_at: str | None
    desired_start_time: str | int | None
    region: str | None


def load_targets(config: pulumi.Config) -> list[Target]:
    """Read the domains and their schedules from stack config.

    Raises ValueError naming the config key, the value and the fix; shapes only, because
    the resource's own check validates names and times during preview.
    """
    key = f"{config.name}:domains"
    entries = config.require_object("domains")
    if not isinstance(entries, list) or not entries:
        raise ValueError(
            f"config {key} must be a non-empty list of domain names or objects, got "
            f"{entries!r}; for example: pulumi config set --path 'domains[0]' logs-dev"
        )

    default_schedule = config.get("scheduleAt")
    default_start = config.get("desiredStartTime")
    targets: list[Target] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        target = _parse_entry(entry, where, default_schedule, default_start)
        if target.domain_name in seen:
            raise ValueError(
                f"config {where} repeats domain {target.domain_name!r}; list each domain once"
            )
        seen.add(target.domain_name)
        targets.append(target)
    return targets


def _parse_entry(
    entry: Any, where: str, default_schedule: str | None, default_start: str | None
) -> Target:
    if isinstance(entry, str):
        return Target(entry, default_schedule, default_start, None)
    if not isinstance(entry, dict):
        raise ValueError(
            f"config {where} must be a domain name or an object with a 'name', got {entry!r}"
        )
    unknown = sorted(set(entry) - _DOMAIN_KEYS)
    if unknown:
        raise ValueError(
            f"config {where} has unknown keys {unknown}; allowed keys are {sorted(_DOMAIN_KEYS)}"
        )
    name = entry.get("name")
    if not isinstance(name, str):
        raise ValueError(f"config {where}.name is missing or not a string: {name!r}")
    schedule = entry.get("scheduleAt", default_schedule)
    # An entry's own scheduleAt without a desiredStartTime must not inherit the default
    # start, which may belong to another schedule.
    start = entry.get("desiredStartTime", None if "scheduleAt" in entry else default_start)
    return Target(name, schedule, start, entry.get("region"))


def main() -> None:
    """Declare the updates and export their status."""
    targets = load_targets(pulumi.Config())

    updates: dict[str, pulumi.Output[dict[str, Any]]] = {}
    summary: list[pulumi.Output[str]] = []
    for target in targets:
        update = ServiceSoftwareUpdate(
            target.domain_name,
            domain_name=target.domain_name,
            schedule_at=target.schedule_at,
            desired_start_time=target.desired_start_time,
            region=target.region,
        )
        updates[target.domain_name] = pulumi.Output.all(
            current_version=update.current_version,
            new_version=update.new_version,
            update_status=update.update_status,
            update_available=update.update_available,
            automated_update_date=update.automated_update_date,
            description=update.description,
        )
        summary.append(
            pulumi.Output.all(
                update.domain_name,
                update.current_version,
                update.new_version,
                update.update_status,
            ).apply(lambda values: _summary_line(*values))
        )

    pulumi.export("updates", updates)
    pulumi.export("summary", summary)


def _summary_line(domain: str, current: str | None, new: str | None, status: str | None) -> str:
    if new:
        return f"{domain}: {current} -> {new} ({status})"
    return f"{domain}: {current} (up to date)"


if __name__ == "__main__":
    main()
