"""Polling for COMPLETED: backoff, timeouts and status changes, on a fake clock."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from components.opensearch.aws import SoftwareUpdateError
from components.opensearch.waiter import (
    CompletionTimeoutError,
    PollSettings,
    WaitInterruptedError,
    engine_address,
    engine_running,
    interruptible_sleep,
    wait_for_completion,
)
from devtools.engine import REPO_ROOT


class FakeClock:
    """A monotonic clock that only moves when the waiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.now += seconds
        return True


def statuses(*values: str) -> Iterator[dict[str, Any]]:
    for value in values:
        yield {"update_status": value, "new_version": "R2"}


def run(
    clock: FakeClock, sequence: Iterator[dict[str, Any]], timeout_minutes: float = 120
) -> tuple[dict[str, Any], list[str]]:
    messages: list[str] = []
    first = next(sequence)
    result = wait_for_completion(
        lambda: next(sequence),
        "logs-prod",
        timeout_minutes,
        first,
        settings=PollSettings(),
        sleep=clock.sleep,
        clock=clock,
        random_fraction=lambda: 0.5,
        log=messages.append,
    )
    return result, messages


def test_completed_first_costs_no_call() -> None:
    clock = FakeClock()
    result, _ = run(clock, statuses("COMPLETED"))
    assert result["update_status"] == "COMPLETED"
    assert clock.sleeps == []


def test_backoff_grows_to_cap_with_jitter() -> None:
    clock = FakeClock()
    result, _ = run(clock, statuses(*["PENDING_UPDATE"] * 5, "COMPLETED"))
    assert result["update_status"] == "COMPLETED"
    # 10, 20, then capped at 30; jitter 0.2 * 0.5 stretches each by 10 percent.
    assert clock.sleeps == pytest.approx([11.0, 22.0, 33.0, 33.0, 33.0])


def test_steady_state_polls_at_most_every_30_seconds() -> None:
    settings = PollSettings()
    for attempt in range(3, 20):
        assert settings.delay(attempt, 0.0) >= 30.0
        assert settings.delay(attempt, 0.999) < 36.0


def test_status_changes_are_logged_with_elapsed_time() -> None:
    clock = FakeClock()
    _, messages = run(clock, statuses("PENDING_UPDATE", "IN_PROGRESS", "COMPLETED"))
    assert messages[1] == "logs-prod: status PENDING_UPDATE -> IN_PROGRESS after 11 s"
    assert messages[2] == "logs-prod: status IN_PROGRESS -> COMPLETED after 33 s"


def test_timeout_names_domain_status_and_next_step() -> None:
    clock = FakeClock()
    with pytest.raises(CompletionTimeoutError) as caught:
        run(clock, statuses(*["IN_PROGRESS"] * 100), timeout_minutes=2)
    message = str(caught.value)
    assert "'logs-prod'" in message
    assert "still IN_PROGRESS after 2 minutes" in message
    assert "run pulumi up again to adopt it" in message
    assert clock.now == pytest.approx(120.0)


def test_completion_at_deadline_counts() -> None:
    clock = FakeClock()
    # Polls at 0, 11, 33 and 66 s, then one cut short to land on the 90 s deadline.
    sequence = statuses(*["IN_PROGRESS"] * 4, "COMPLETED")
    result, _ = run(clock, sequence, timeout_minutes=1.5)
    assert result["update_status"] == "COMPLETED"
    assert clock.now == pytest.approx(90.0)


def test_cancelled_update_stops_waiting() -> None:
    clock = FakeClock()
    with pytest.raises(SoftwareUpdateError) as caught:
        run(clock, statuses("PENDING_UPDATE", "ELIGIBLE"))
    assert "left PENDING_UPDATE/IN_PROGRESS for ELIGIBLE" in str(caught.value)


def test_environment_overrides_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS", "0.5")
    monkeypatch.setenv("PULUMI_OPENSEARCH_POLL_MAX_SECONDS", "2")
    settings = PollSettings.from_environment()
    assert settings.initial_seconds == 0.5
    assert settings.max_seconds == 2.0


def test_waiter_stops_when_process_shuts_down() -> None:
    clock = FakeClock()
    answers = statuses("PENDING_UPDATE", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED")
    first = next(answers)
    sleeps: list[float] = []

    def sleep_until_shutdown(seconds: float) -> bool:
        sleeps.append(seconds)
        return len(sleeps) < 2

    with pytest.raises(WaitInterruptedError) as caught:
        wait_for_completion(
            lambda: next(answers),
            "logs-prod",
            120,
            first,
            settings=PollSettings(),
            sleep=sleep_until_shutdown,
            clock=clock,
            random_fraction=lambda: 0.5,
            log=lambda _message: None,
        )

    assert len(sleeps) == 2
    assert caught.value.code == "Interrupted"
    assert "run pulumi up again to adopt it" in str(caught.value)


def test_interruptible_sleep_sleeps_in_slices() -> None:
    slept: list[float] = []
    assert interruptible_sleep(1.2, running=lambda: True, sleep=slept.append) is True
    assert slept == pytest.approx([0.5, 0.5, 0.2])


def test_interruptible_sleep_returns_on_shutdown() -> None:
    slept: list[float] = []
    checks = iter([True, True, False])
    assert interruptible_sleep(30, running=lambda: next(checks), sleep=slept.append) is False
    assert slept == [0.5, 0.5]


def test_process_running_false_after_main_thread_ends() -> None:
    """Run the real shutdown sequence in a child interpreter and watch the flag turn."""
    script = (
        "import threading, time\n"
        "from components.opensearch.waiter import interruptible_sleep\n"
        "def worker():\n"
        "    woke = interruptible_sleep(60)\n"
        "    print('interrupted' if not woke else 'slept', flush=True)\n"
        "threading.Thread(target=worker).start()\n"
        "time.sleep(0.2)\n"
    )
    # A worker that slept the whole 60 s would hit the 30 s timeout and fail the test.
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        cwd=REPO_ROOT,
    )
    assert result.stdout.strip() == "interrupted"


def host_argv(address: str) -> list[str]:
    return ["/venv/lib/python3.11/site-packages/pulumi/dynamic/__main__.py", address]


def test_engine_running_outside_provider_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["pytest", "127.0.0.1:9"])
    assert engine_address() is None
    assert engine_running() is True


def test_engine_running_while_engine_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        monkeypatch.setattr(sys, "argv", host_argv(f"127.0.0.1:{port}"))
        assert engine_address() == ("127.0.0.1", port)
        assert engine_running() is True
    # The same port, closed: the engine is gone.
    assert engine_running() is False


def test_waiter_stops_when_engine_is_gone() -> None:
    clock = FakeClock()
    answers = statuses("IN_PROGRESS", "IN_PROGRESS", "COMPLETED")
    first = next(answers)
    describes: list[int] = []

    def describe() -> dict[str, Any]:
        describes.append(1)
        return next(answers)

    with pytest.raises(WaitInterruptedError):
        wait_for_completion(
            describe,
            "logs-prod",
            120,
            first,
            settings=PollSettings(),
            sleep=clock.sleep,
            clock=clock,
            random_fraction=lambda: 0.5,
            log=lambda _message: None,
            engine_alive=lambda: False,
        )

    assert describes == []


def test_delay_stays_capped_after_many_polls() -> None:
    settings = PollSettings()
    assert settings.delay(5000, 0.0) == settings.max_seconds
