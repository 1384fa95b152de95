"""Bridge to moto's OpenSearch backend: domain lookup, creation, deletion and response fixes.

moto 5.2.5 stores domains but has no model of service software. Its
DomainStatus puts ServiceSoftwareOptions-like defaults under SoftwareUpdateOptions
and has no ServiceSoftwareOptions, so every DomainStatus and DomainConfig that
leaves the emulator is rewritten from the emulator's software state.
"""

from __future__ import annotations

from typing import Any

from moto.opensearch.models import opensearch_backends

from emulator.software import (
    DomainKey,
    Settings,
    SoftwareState,
    UpdateStatus,
    off_peak_window_options,
    service_software_options,
)

# Service software version given to domains created through CreateDomain, which
# carries no version. The value is made up, in the format AWS uses.
DEFAULT_SERVICE_SOFTWARE_VERSION = "R20250101-P1"


def known_region(account_id: str, region: str) -> bool:
    return region in opensearch_backends[account_id]


def find_domain(key: DomainKey) -> Any | None:
    """Return moto's OpenSearchDomain for ``key``, or None when it does not exist."""
    if not known_region(key.account_id, key.region):
        return None
    backend = opensearch_backends[key.account_id][key.region]
    return backend.domains.get(key.name)


def create_domain(key: DomainKey, engine_version: str | None, software: SoftwareState) -> Any:
    """Create a domain in moto's backend with the off-peak and auto-update options of ``software``.

    Returns moto's OpenSearchDomain.
    """
    # moto's own request handler passes None for every option that a request
    # leaves out, but the method's annotations do not allow None, so this is Any.
    backend: Any = opensearch_backends[key.account_id][key.region]
    window = off_peak_window_options(software)
    return backend.create_domain(
        domain_name=key.name,
        engine_version=engine_version,
        cluster_config=None,
        ebs_options=None,
        access_policies=None,
        snapshot_options=None,
        vpc_options=None,
        cognito_options=None,
        encryption_at_rest_options=None,
        node_to_node_encryption_options=None,
        advanced_options=None,
        log_publishing_options=None,
        domain_endpoint_options=None,
        advanced_security_options=None,
        tag_list=None,
        auto_tune_options=None,
        off_peak_window_options=window,
        software_update_options={
            "AutoSoftwareUpdateEnabled": software.auto_software_update_enabled
        },
        is_es=False,
        elasticsearch_version=None,
        elasticsearch_cluster_config=None,
    )


def delete_domain(key: DomainKey) -> bool:
    """Delete a domain from moto's backend. Return False when it did not exist."""
    if find_domain(key) is None:
        return False
    opensearch_backends[key.account_id][key.region].delete_domain(key.name)
    return True


def reset_backends() -> None:
    """Empty moto's OpenSearch backends in every account and region, and nothing else."""
    for account_backends in opensearch_backends.values():
        account_backends.reset()


def apply_domain_options(
    software: SoftwareState,
    off_peak: dict[str, Any] | None,
    software_update: dict[str, Any] | None,
) -> None:
    """Copy OffPeakWindowOptions and SoftwareUpdateOptions request values into ``software``."""
    if off_peak:
        if "Enabled" in off_peak:
            software.off_peak_window_enabled = bool(off_peak["Enabled"])
        start = off_peak.get("OffPeakWindow", {}).get("WindowStartTime", {})
        if "Hours" in start:
            software.off_peak_start_hours = int(start["Hours"])
        if "Minutes" in start:
            software.off_peak_start_minutes = int(start["Minutes"])
    if software_update and "AutoSoftwareUpdateEnabled" in software_update:
        software.auto_software_update_enabled = bool(software_update["AutoSoftwareUpdateEnabled"])


def default_software(off_peak: Any, software_update: Any) -> SoftwareState:
    """Build the state of a domain that was not seeded: up to date, with its CreateDomain options.

    ``off_peak`` and ``software_update`` are the OffPeakWindowOptions and
    SoftwareUpdateOptions that moto stored for the domain, or None.
    """
    software = SoftwareState(current_version=DEFAULT_SERVICE_SOFTWARE_VERSION)
    apply_domain_options(
        software,
        off_peak if isinstance(off_peak, dict) else None,
        software_update if isinstance(software_update, dict) else None,
    )
    return software


def fix_domain_status(
    status: dict[str, Any], software: SoftwareState, now: float, settings: Settings
) -> dict[str, Any]:
    """Replace moto's software fields in a DomainStatus with the emulator's state."""
    options = service_software_options(software, now, settings)
    updating = options["UpdateStatus"] == UpdateStatus.IN_PROGRESS
    status["ServiceSoftwareOptions"] = options
    status["SoftwareUpdateOptions"] = {
        "AutoSoftwareUpdateEnabled": software.auto_software_update_enabled
    }
    status["OffPeakWindowOptions"] = off_peak_window_options(software)
    if updating:
        status["DomainProcessingStatus"] = "UpdatingServiceSoftware"
        status["Processing"] = True
    elif status.get("Deleted"):
        status["DomainProcessingStatus"] = "Deleting"
    else:
        status["DomainProcessingStatus"] = "Active"
    return status


def _option_status(domain: Any) -> dict[str, Any]:
    return {
        "CreationDate": domain.creation_date,
        "UpdateDate": domain.engine_version.update_time,
        "UpdateVersion": 1,
        "State": "Active",
        "PendingDeletion": False,
    }


def fix_domain_config(
    config: dict[str, Any], software: SoftwareState, domain: Any
) -> dict[str, Any]:
    """Replace moto's SoftwareUpdateOptions and OffPeakWindowOptions in a DomainConfig.

    Also adds the Status member that the model requires and moto 5.2.5 leaves
    out of most sections.
    """
    for name, section in config.items():
        if name == "AutoTuneOptions" and isinstance(section.get("Options"), dict):
            # moto keeps the Auto-Tune state in Options. The model has it in
            # Status, as an AutoTuneState value. Copy, because moto shares the dict.
            options = dict(section["Options"])
            auto_tune_state = options.pop("State", "ENABLED")
            section["Options"] = options
            section["Status"] = {**_option_status(domain), "State": auto_tune_state}
        elif isinstance(section, dict) and "Options" in section and "Status" not in section:
            section["Status"] = _option_status(domain)
    config["SoftwareUpdateOptions"] = {
        "Options": {"AutoSoftwareUpdateEnabled": software.auto_software_update_enabled},
        "Status": _option_status(domain),
    }
    config["OffPeakWindowOptions"] = {
        "Options": off_peak_window_options(software),
        "Status": _option_status(domain),
    }
    return config
