"""Wait for a domain's service software update to reach COMPLETED.

Polls DescribeDomain with capped exponential backoff and jitter. The jitter only
lengthens a delay, so at steady state each domain costs at most one call per
``max_seconds``. Sleep, clock and random source are injectable for tests.

The wait also stops when the engine that started it is gone. Pulumi runs each plugin
in a process group of its own, and a forced stop (a second Ctrl-C, SIGINT or SIGTERM)
leaves the dynamic-provider host running after `pulumi` exits. Before each poll the
waiter connects to the engine's address, which the engine passes to every plugin as its
first argument. A refused connection means no caller is left to read the result, so the
waiter makes no more AWS calls.

The wait stops early, too, when its own process shuts down. When pulumi ends a run while
a wait still goes on, it interrupts the host with SIGINT (seen in this project's engine
runs). The host then stops its gRPC server and returns from its main thread, but Python
joins the host's worker threads before it exits, and one of them is this wait. Without
the check it would go on calling AWS until the update completed or completion_timeout
(two hours by default) passed.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import sys
import threading
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


# Polls after which the delay stops doubling; far beyond the cap for any sane settings.
_MAX_GROWTH_STEPS = 64
# Seconds between checks for a process shutdown while sleeping between polls.
SHUTDOWN_CHECK_SECONDS = 0.5
# Seconds to wait for the engine's gRPC port to accept a connection.
ENGINE_CHECK_TIMEOUT_SECONDS = 2.0


class CompletionTimeoutError(SoftwareUpdateError):
    """The update did not reach COMPLETED within completion_timeout."""


class WaitInterruptedError(SoftwareUpdateError):
    """The process is shutting down, so the wait ended before the update completed."""


def process_running() -> bool:
    """Return False once the interpreter has begun to shut down.

    threading's shutdown marks the main thread as stopped before it joins the other
    threads, so this turns False while a worker thread still runs (CPython 3.11
    threading._shutdown).
    """
    return threading.main_thread().is_alive()


def engine_address() -> tuple[str, int] | None:
    """Return the engine's gRPC address when this process is Pulumi's dynamic-provider host.

    The host runs as `python -m pulumi.dynamic ADDRESS`; anywhere else this is None.
    """
    if len(sys.argv) < 2 or not sys.argv[0].replace("\\", "/").endswith(
        "pulumi/dynamic/__main__.py"
    ):
        return None
    host, _, port = sys.argv[1].rpartition(":")
    if not host or not port.isdigit():
        return None
    return host, int(port)


def engine_running() -> bool:
    """Return False only when the engine's address refuses connections.

    Any other outcome, including a timeout, counts as running, so a busy machine never
    ends a wait that the engine still needs.
    """
    address = engine_address()
    if address is None:
        return True
    try:
        with socket.create_connection(address, timeout=ENGINE_CHECK_TIMEOUT_SECONDS):
            return True
    except ConnectionRefusedError:
        return False
    except OSError:
        return True


def interruptible_sleep(
    seconds: float,
    *,
    running: Callable[[], bool] = process_running,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Sleep ``seconds`` in short slices; return False as soon as ``running()`` is False."""
    remaining = seconds
    while remaining > 0:
        if not running():
            return False
        step = min(SHUTDOWN_CHECK_SECONDS, remaining)
        sleep(step)
        remaining -= step
    return running()


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
        # The exponent stops growing once the delay is capped anyway: 2.0 ** 1024 overflows,
        # which a 24-hour completion_timeout reaches after about 9 hours of polling.
        growth = self.multiplier ** min(attempt, _MAX_GROWTH_STEPS)
        base = min(self.max_seconds, self.initial_seconds * growth)
        return base * (1 + self.jitter * random_fraction)


def wait_for_completion(
    describe: Callable[[], dict[str, Any]],
    domain_name: str,
    timeout_minutes: float,
    first: dict[str, Any],
    *,
    settings: PollSettings | None = None,
    sleep: Callable[[float], bool] = interruptible_sleep,
    clock: Callable[[], float] = time.monotonic,
    random_fraction: Callable[[], float] = random.random,
    log: Callable[[str], None] = logger.info,
    engine_alive: Callable[[], bool] = engine_running,
) -> dict[str, Any]:
    """Poll until the update is COMPLETED and return the final software options.

    ``first`` contains the options already read, so a finished update costs no call.
    ``sleep`` returns False when the process is shutting down, and ``engine_alive``
    returns False when the engine is gone: both raise WaitInterruptedError. Raises
    CompletionTimeoutError after ``timeout_minutes``, and SoftwareUpdateError when the
    update leaves PENDING_UPDATE or IN_PROGRESS for anything but COMPLETED (for example
    when someone cancels it).
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
        if not sleep(delay) or not engine_alive():
            raise WaitInterruptedError(
                "WaitForCompletion",
                domain_name,
                "Interrupted",
                f"pulumi was interrupted while the update to {options.get('new_version')} "
                f"was {status}",
                "The update keeps running in AWS; run pulumi up again to adopt it",
            )
        attempt += 1
        options = describe()
