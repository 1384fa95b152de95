"""Amazon OpenSearch Service software updates as Pulumi resources.

Usage::

    from components.opensearch import ServiceSoftwareUpdate

    ServiceSoftwareUpdate("logs-prod", domain_name="logs-prod", schedule_at="OFF_PEAK_WINDOW")
"""

from .aws import SoftwareUpdateError
from .provider import new_provider
from .resource import ServiceSoftwareUpdate
from .rollout import DomainRef, SoftwareUpdateRollout, Wave
from .schedule import SCHEDULE_NOW, SCHEDULE_OFF_PEAK_WINDOW, SCHEDULE_TIMESTAMP

__all__ = [
    "SCHEDULE_NOW",
    "SCHEDULE_OFF_PEAK_WINDOW",
    "SCHEDULE_TIMESTAMP",
    "DomainRef",
    "ServiceSoftwareUpdate",
    "SoftwareUpdateError",
    "SoftwareUpdateRollout",
    "Wave",
    "new_provider",
]
