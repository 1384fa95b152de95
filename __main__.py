"""Example program: one ServiceSoftwareUpdate per domain listed in stack config.

Stack config (Pulumi.<stack>.yaml)::

    config:
      aws:region: eu-west-1
      opensearch-updates:scheduleAt: OFF_PEAK_WINDOW   # default for every domain
      opensearch-updates:domains:
        - logs-dev                                     # a name takes the defaults
        - name: search-prod                            # or an object with its own settings
          scheduleAt: TIMESTAMP
          desiredStartTime: "2026-12-06T02:00:00Z"
          waitForCompletion: true

Every key of _SETTINGS may be set as a default (opensearch-updates:<key>) or per domain.

Or, to update in waves (each waits for the one before it to complete)::

    config:
      opensearch-updates:waves:
        - name: dev
          domains: [logs-dev, metrics-dev]
        - name: prod
          domains: [search-prod]
          scheduleAt: OFF_PEAK_WINDOW

The stack exports ``updates``, a map from domain name to its versions and status, and
``summary``, one readable line per domain (per wave for a rollout).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime.config
from pulumi.config import ConfigTypeError

from components.opensearch import ServiceSoftwareUpdate, SoftwareUpdateRollout, Wave
from components.opensearch.schedule import InvalidInputError

# Stack config keys that set a default for every domain and may be overridden per domain,
# mapped to the ServiceSoftwareUpdate argument each sets.
_SETTINGS = {
    "scheduleAt": "schedule_at",
    "desiredStartTime": "desired_start_time",
    "region": "region",
    "waitForCompletion": "wait_for_completion",
    "completionTimeout": "completion_timeout",
    "cancelOnDelete": "cancel_on_delete",
    "triggers": "triggers",
    "profile": "profile",
    "roleArn": "role_arn",
}


@dataclass(frozen=True)
class Target:
    """One domain to update, with its settings after defaults are applied."""

    domain_name: str
    settings: dict[str, Any]


_DOMAINS_EXAMPLE = (
    "for example: pulumi config set --path 'domains[0]' logs-dev, or "
    "pulumi config set domains logs-dev,search-prod"
)


def load_targets(config: pulumi.Config) -> list[Target]:
    """Read the domains and their settings from stack config.

    Raises InvalidInputError (shown without a traceback) naming the config key, the value
    and the fix. Only shapes are checked here; the resource's own check validates names
    and times during preview.
    """
    key = f"{config.name}:domains"
    entries = _read_domains(config, key)
    if not isinstance(entries, list) or not entries:
        raise InvalidInputError(
            f"config {key} must be a non-empty list of domain names or objects, got "
            f"{entries!r}; {_DOMAINS_EXAMPLE}"
        )

    defaults = {name: _read_default(config, name) for name in _SETTINGS}
    targets: list[Target] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        target = _parse_entry(entry, where, defaults)
        if target.domain_name in seen:
            raise InvalidInputError(
                f"config {where} repeats domain {target.domain_name!r}; list each domain once"
            )
        seen.add(target.domain_name)
        targets.append(target)
    return targets


def _read_domains(config: pulumi.Config, key: str) -> Any:
    raw = config.get("domains")
    if raw is None:
        raise InvalidInputError(f"config {key} is missing; {_DOMAINS_EXAMPLE}")
    try:
        return config.get_object("domains")
    except ConfigTypeError:
        # A plain string, as `pulumi config set domains a,b` stores it: a comma-separated list.
        return [name.strip() for name in raw.split(",") if name.strip()]


def _read_default(config: pulumi.Config, name: str) -> Any:
    # Structured values (triggers, booleans and numbers written with --path) come back
    # parsed from get_object; plain strings come back as they are.
    try:
        return config.get_object(name)
    except ConfigTypeError:
        return config.get(name)


def _parse_entry(entry: Any, where: str, defaults: dict[str, Any]) -> Target:
    if isinstance(entry, str) and entry:
        return Target(entry, _arguments(defaults))
    if not isinstance(entry, dict):
        raise InvalidInputError(
            f"config {where} must be a domain name or an object with a 'name', got {entry!r}"
        )
    unknown = sorted(set(entry) - set(_SETTINGS) - {"name"})
    if unknown:
        raise InvalidInputError(
            f"config {where} has unknown keys {unknown}; allowed keys are "
            f"{sorted({'name', *_SETTINGS})}"
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInputError(
            f"config {where}.name must be the domain's name, got {name!r}; add "
            f"name: <domain> to the entry"
        )
    values = {**defaults, **{k: v for k, v in entry.items() if k != "name"}}
    # An entry's own scheduleAt without a desiredStartTime must not inherit the default
    # start, which may belong to another schedule.
    if "scheduleAt" in entry and "desiredStartTime" not in entry:
        values["desiredStartTime"] = None
    return Target(name, _arguments(values))


def _arguments(values: dict[str, Any]) -> dict[str, Any]:
    return {_SETTINGS[key]: value for key, value in values.items() if value is not None}


_WAVE_KEYS = {
    "name",
    "domains",
    "scheduleAt",
    "desiredStartTime",
    "completionTimeout",
    "waitForCompletion",
}


def load_waves(config: pulumi.Config) -> list[Wave] | None:
    """Read `waves` from stack config, or return None when the stack lists `domains`.

    Each wave is an object with `domains` (a list of names) and optional `name`,
    `scheduleAt`, `desiredStartTime`, `completionTimeout` and `waitForCompletion`. The
    top-level scheduleAt, desiredStartTime and completionTimeout are the defaults, and the
    top-level triggers apply to every domain. A top-level waitForCompletion is rejected,
    because waves decide their own waiting.
    """
    key = f"{config.name}:waves"
    if config.get("waves") is None:
        return None
    if config.get("domains") is not None:
        raise InvalidInputError(
            f"config {key} and {config.name}:domains are both set; a stack uses one of them"
        )
    try:
        entries = config.get_object("waves")
    except ConfigTypeError:
        entries = None
    if not isinstance(entries, list) or not entries:
        given = entries if entries is not None else config.get("waves")
        raise InvalidInputError(
            f"config {key} must be a non-empty list of objects with a 'domains' list, got "
            f"{given!r}; for example: pulumi config set --path 'waves[0].domains[0]' logs-dev"
        )

    if _read_default(config, "waitForCompletion") is not None:
        raise InvalidInputError(
            f"config {config.name}:waitForCompletion does not apply to waves, which wait "
            "for every wave but the last; remove it, or set waitForCompletion in a wave"
        )
    default_schedule = _read_default(config, "scheduleAt")
    default_start = _read_default(config, "desiredStartTime")
    default_timeout = _read_default(config, "completionTimeout")
    triggers = _read_default(config, "triggers")
    waves: list[Wave] = []
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        if not isinstance(entry, dict):
            raise InvalidInputError(f"config {where} must be an object, got {entry!r}")
        unknown = sorted(set(entry) - _WAVE_KEYS)
        if unknown:
            raise InvalidInputError(
                f"config {where} has unknown keys {unknown}; allowed keys are {sorted(_WAVE_KEYS)}"
            )
        domains = entry.get("domains")
        if (
            not isinstance(domains, list)
            or not domains
            or not all(isinstance(d, str) and d for d in domains)
        ):
            raise InvalidInputError(
                f"config {where}.domains must be a non-empty list of domain names, got {domains!r}"
            )
        schedule = entry.get("scheduleAt", default_schedule)
        start = entry.get("desiredStartTime", None if "scheduleAt" in entry else default_start)
        waves.append(
            Wave(
                domains=domains,
                name=entry.get("name"),
                schedule_at=schedule,
                desired_start_time=start,
                completion_timeout=entry.get("completionTimeout", default_timeout),
                wait_for_completion=entry.get("waitForCompletion"),
                options={"triggers": triggers} if triggers is not None else {},
            )
        )
    return waves


def check_config_keys(config: pulumi.Config) -> None:
    """Reject a stack config key of this project that the program does not read.

    A misspelt key, such as scheduleat for scheduleAt, would otherwise be ignored, and
    the update would run with the default schedule (NOW).
    """
    prefix = f"{config.name}:"
    known = {*_SETTINGS, "domains", "waves"}
    current = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    for full_key in sorted(current):
        if not full_key.startswith(prefix):
            continue
        name = full_key[len(prefix) :]
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if not close:
            close = [key for key in known if key.lower() == name.lower()]
        hint = f"did you mean {prefix}{close[0]}? " if close else ""
        raise InvalidInputError(
            f"config {full_key} is not a setting of this program; {hint}The settings are "
            f"{', '.join(sorted(known))}. Remove it with: pulumi config rm {full_key}"
        )


def main() -> None:
    """Declare the updates, as a rollout in waves or one per domain, and export status."""
    config = pulumi.Config()
    check_config_keys(config)
    waves = load_waves(config)
    if waves is not None:
        rollout = SoftwareUpdateRollout(
            "rollout",
            waves=waves,
            region=_read_default(config, "region"),
            profile=_read_default(config, "profile"),
            role_arn=_read_default(config, "roleArn"),
            cancel_on_delete=_read_default(config, "cancelOnDelete"),
        )
        pulumi.export("updates", rollout.domains)
        pulumi.export("summary", rollout.waves)
        return

    targets = load_targets(config)

    updates: dict[str, pulumi.Output[dict[str, Any]]] = {}
    summary: list[pulumi.Output[str]] = []
    for target in targets:
        update = ServiceSoftwareUpdate(
            target.domain_name, domain_name=target.domain_name, **target.settings
        )
        updates[target.domain_name] = pulumi.Output.all(
            current_version=update.current_version,
            new_version=update.new_version,
            update_status=update.update_status,
            update_available=update.update_available,
            automated_update_date=update.automated_update_date,
            scheduled_start_time=update.scheduled_start_time,
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
