"""Local emulator of the Amazon OpenSearch Service control-plane API, built on moto.

It adds service software updates to moto: StartServiceSoftwareUpdate,
CancelServiceSoftwareUpdate, ListScheduledActions and UpdateScheduledAction,
with update status driven by an emulated clock, plus /_emulator/ control
endpoints for seeding domains and moving the clock.
"""

from emulator.app import MUTATING_OPERATIONS
from emulator.client import EmulatorClient, EmulatorError
from emulator.server import EmulatorServer

__all__ = ["MUTATING_OPERATIONS", "EmulatorClient", "EmulatorError", "EmulatorServer"]
