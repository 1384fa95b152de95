"""The demo: the example program on the `demo` stack, through the real engine, on the emulator.

Run it with ``make demo``. Steps: start the emulator, seed three domains (two with an
update available, one current), ``pulumi up``, let emulated time pass, ``pulumi refresh``,
print the per-domain status and the API calls made, stop the emulator.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from devtools.engine import REPO_ROOT, PulumiWorkspace, emulator_environment, ensure_engine
from emulator import MUTATING_OPERATIONS, EmulatorClient

STACK = "demo"
REGION = "us-east-1"
DAY_SECONDS = 86_400


def seed_domains(client: EmulatorClient, now: float) -> None:
    """Seed the three demo domains named in Pulumi.demo.yaml."""
    client.seed_domain(
        name="logs-dev",
        region=REGION,
        current_version="R20250403-P5",
        new_version="R20251106-P2",
        optional_deployment=True,
    )
    client.seed_domain(
        name="search-prod",
        region=REGION,
        current_version="R20250403-P5",
        new_version="R20251106-P2",
        optional_deployment=False,
        automated_update_date=int(now + 14 * DAY_SECONDS),
    )
    client.seed_domain(
        name="metrics-staging",
        region=REGION,
        current_version="R20251106-P2",
        new_version=None,
    )


def start_emulator(state_dir: Path, speed: float) -> tuple[subprocess.Popen[bytes], str]:
    """Start the emulator in its own process and return it with its URL."""
    port_file = state_dir / "emulator.port"
    port_file.unlink(missing_ok=True)
    log_file = (state_dir / "emulator.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--speed",
            str(speed),
            "--port-file",
            str(port_file),
        ],
        cwd=REPO_ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the emulator did not start; see {state_dir / 'emulator.log'}")
        time.sleep(0.1)
    url = f"http://127.0.0.1:{port_file.read_text(encoding='utf-8').strip()}"
    EmulatorClient(url).wait_until_ready(timeout=30)
    return process, url


def print_table(
    after_up: dict[str, Any], after_refresh: dict[str, Any], requests: list[dict[str, Any]]
) -> None:
    """Print one row per domain: the update scheduled by up, its status after refresh."""
    calls = Counter((entry.get("domain"), entry["operation"]) for entry in requests)
    header = ("Domain", "Scheduled by up", "Required by", "After refresh", "Version now", "Starts")
    rows = [header]
    for name in sorted(after_refresh):
        scheduled = after_up.get(name, {})
        now = after_refresh[name]
        if scheduled.get("new_version"):
            change = f"{scheduled.get('current_version')} -> {scheduled.get('new_version')}"
        else:
            change = "nothing (current)"
        rows.append(
            (
                name,
                change,
                scheduled.get("automated_update_date") or "-",
                now.get("update_status") or "-",
                now.get("current_version") or "-",
                str(calls[(name, "StartServiceSoftwareUpdate")]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def run_demo(speed: float, advance_seconds: int) -> int:
    """Run the whole demo and return the process exit code."""
    ensure_engine()
    state_dir = REPO_ROOT / ".state" / STACK
    state_dir.mkdir(parents=True, exist_ok=True)

    print(f"[demo] starting the OpenSearch emulator (emulated time runs {speed:g}x)", flush=True)
    process, url = start_emulator(state_dir, speed)
    try:
        client = EmulatorClient(url)
        client.reset()
        seed_domains(client, client.now())
        print(f"[demo] emulator at {url}, seeded logs-dev, search-prod, metrics-staging")

        workspace = PulumiWorkspace(
            project_dir=REPO_ROOT,
            state_dir=state_dir,
            stack=STACK,
            extra_env=emulator_environment(url, REGION),
            echo=True,
        )
        # The emulator starts empty, so the stack starts empty too.
        workspace.remove_stack()
        workspace.init_stack()

        print("[demo] pulumi up: schedules the two available updates", flush=True)
        workspace.up()
        after_up = workspace.outputs().get("updates", {})

        print(f"[demo] advancing emulated time by {advance_seconds // 60} minutes", flush=True)
        client.advance(advance_seconds)

        print("[demo] pulumi refresh: reads the new status from the emulator", flush=True)
        workspace.refresh("--run-program")

        requests = client.requests()
        updates = workspace.outputs().get("updates", {})
        print()
        print_table(after_up, updates, requests)
        mutating = Counter(
            entry["operation"] for entry in requests if entry["operation"] in MUTATING_OPERATIONS
        )
        print()
        print(
            f"[demo] {len(requests)} API calls in all; mutating: "
            f"{dict(mutating) or 'none'}. State: {state_dir}"
        )
        completed = sum(1 for u in updates.values() if u.get("update_status") == "COMPLETED")
        print(f"[demo] done: {completed} of {len(updates)} domains on current service software")
        return 0
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    """Parse the command line and run the demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="emulated seconds per real second while the demo runs (default 60)",
    )
    parser.add_argument(
        "--advance",
        type=int,
        default=2 * 3600,
        help="emulated seconds to skip between up and refresh (default 7200)",
    )
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return run_demo(args.speed, args.advance)


if __name__ == "__main__":
    sys.exit(main())
