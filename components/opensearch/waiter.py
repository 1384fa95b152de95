"""Wait for a domain's service software update to reach COMPLETED.

Polls DescribeDomain with capped exponential backoff and jitter. The jitter only
lengthens a delay, so at steady state each domain costs at most one call per
``max_seconds``. Sleep, clock and random source are injectable for tests.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .aws import SoftwareUpdateError

logger = logging.getLogger(__name__)

STATUS_COMPLETED = "COMPLETED"
WAITING_STATUSES = ("PENDING_UPDATE", "IN_PROGRESS")

# Override the poll delays (seconds) for tests and demos whose emulated clock runs fast.
POLL_INITIAL_ENV = "PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS"
POLL_MAX_ENV = "PULUMI_OPENSEARCH_POLL_MAX_SECONDS"


class CompletionTimeoutError(SoftwareUpdateError):
    """The update did not reach COMPLETED within completion_timeout."""


@dataclass(frozen=True)
class PollSettings:
    """Delays between DescribeDomain calls while waiting, in seconds."""

    initial_seconds: float = 10.0
    max_seconds: float = 30.0
    multiplier: float = 2.0
    # Each delay is stretched by a random factor in [1, 1 + jitter), so that many domains
    # started together do not poll in lockstep.
    jitter: float = 0.2

    @classmethod
    def from_environment(cls) -> PollSettings:
        """Return the defaults, with the delays overridden by the environment if set."""
        defaults = cls()
        initial = float(os.environ.get(POLL_INITIAL_ENV, defaults.initial_seconds))
        maximum = float(os.environ.get(POLL_MAX_ENV, defaults.max_seconds))
        return cls(initial_seconds=initial, max_seconds=max(initial, maximum))

    def delay(self, attempt: int, random_fraction: float) -> float:
        """Return the delay before poll number ``attempt`` (0-based)."""
        base = min(self.max_seconds, self.initial_seconds * self.multiplier**attempt)
        return base * (1 + self.jitter * random_fraction)


def wait_for_completion(
    describe: Callable[[], dict[str, Any]],
    domain_name: str,
    timeout_minutes: float,
    first: dict[str, Any],
    *,
    settings: PollSettings | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    random_fraction: Callable[[], float] = random.random,
    log: Callable[[str], None] = logger.info,
) -> dict[str, Any]:
    """Poll until the update is COMPLETED and return the final software options.

    ``first`` contains the options already read, so a finished update costs no call.
    Raises CompletionTimeoutError after ``timeout_minutes``, and SoftwareUpdateError
    when the update leaves PENDING_UPDATE or IN_PROGRESS for anything but COMPLETED
    (for example when someone cancels it).
    """
    settings = settings or PollSettings.from_environment()
    started = clock()
    deadline = started + timeout_minutes * 60
    options = first
    last_status = options.get("update_status")
    log(f"{domain_name}: waiting for the update to complete; status {last_status}")

    attempt = 0
    while True:
        status = options.get("update_status")
        elapsed = clock() - started
        if status != last_status:
            log(f"{domain_name}: status {last_status} -> {status} after {elapsed:.0f} s")
            last_status = status
        if status == STATUS_COMPLETED:
            return options
        if status not in WAITING_STATUSES:
            raise SoftwareUpdateError(
                "WaitForCompletion",
                domain_name,
                str(status),
                f"the update left PENDING_UPDATE/IN_PROGRESS for {status} without completing",
                "Check the domain's update history in the AWS console, then run pulumi up "
                "again to start the update anew",
            )

        remaining = deadline - clock()
        if remaining <= 0:
            raise CompletionTimeoutError(
                "WaitForCompletion",
                domain_name,
                "Timeout",
                f"the update to {options.get('new_version')} is still {status} after "
                f"{timeout_minutes:g} minutes (completion_timeout)",
                "The update keeps running in AWS; run pulumi up again to adopt it and keep "
                "waiting, or raise completion_timeout",
            )
        # The last poll lands on the deadline, so a completion just before it still counts.
        delay = min(settings.delay(attempt, random_fraction()), remaining)
        sleep(delay)
        attempt += 1
        options = describe()
