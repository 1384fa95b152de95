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


def seed_domains(client: EmulatorClient, now: float) -> dict[str, str]:
    """Seed the three demo domains named in Pulumi.demo.yaml; return what each was offered."""
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
    return {
        "logs-dev": "R20250403-P5 -> R20251106-P2 (optional)",
        "search-prod": "R20250403-P5 -> R20251106-P2 (required)",
        "metrics-staging": "current (R20251106-P2)",
    }


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
    offered: dict[str, str],
    after_up: dict[str, Any],
    after_refresh: dict[str, Any],
    requests: list[dict[str, Any]],
) -> None:
    """Print one row per domain: its wave, what AWS offered, status after up and refresh."""
    calls = Counter((entry.get("domain"), entry["operation"]) for entry in requests)
    header = (
        "Domain",
        "Wave",
        "Offered before up",
        "After up",
        "After refresh",
        "Version now",
        "Starts",
    )
    rows = [header]
    for name in sorted(after_refresh, key=lambda n: (after_refresh[n].get("wave", ""), n)):
        now = after_refresh[name]
        rows.append(
            (
                name,
                now.get("wave") or "-",
                offered.get(name, "-"),
                after_up.get(name, {}).get("update_status") or "-",
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


def print_order(requests: list[dict[str, Any]]) -> None:
    """Print the mutating calls in order, with the emulated minutes since the first call."""
    if not requests:
        return
    first = requests[0]["time"]
    for entry in requests:
        if entry["operation"] not in MUTATING_OPERATIONS:
            continue
        minutes = (entry["time"] - first) / 60
        schedule = entry["params"].get("ScheduleAt")
        print(f"  +{minutes:5.1f} min  {entry['operation']} {entry.get('domain')} ({schedule})")


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
        offered = seed_domains(client, client.now())
        print(
            f"[demo] emulator at {url}, seeded logs-dev, metrics-staging (wave dev) and "
            "search-prod (wave prod)"
        )

        workspace = PulumiWorkspace(
            project_dir=REPO_ROOT,
            state_dir=state_dir,
            stack=STACK,
            extra_env={
                **emulator_environment(url, REGION),
                # Emulated time runs fast, so the waiting between waves may poll often.
                "PULUMI_OPENSEARCH_POLL_INITIAL_SECONDS": "1",
                "PULUMI_OPENSEARCH_POLL_MAX_SECONDS": "2",
            },
            echo=True,
        )
        # The emulator starts empty, so the stack starts empty too.
        workspace.remove_stack()
        workspace.init_stack()

        print(
            "[demo] pulumi up: wave dev updates and completes first, then wave prod is "
            f"scheduled (about {int(700 / speed) + 5} s at {speed:g}x)",
            flush=True,
        )
        workspace.up()
        after_up = workspace.outputs().get("updates", {})

        print(f"[demo] advancing emulated time by {advance_seconds // 60} minutes", flush=True)
        client.advance(advance_seconds)

        print("[demo] pulumi refresh: reads the new status from the emulator", flush=True)
        workspace.refresh("--run-program")

        requests = client.requests()
        updates = workspace.outputs().get("updates", {})
        print()
        print_table(offered, after_up, updates, requests)
        print()
        print("[demo] changes sent to the emulator, in emulated time (wave prod waits for dev):")
        print_order(requests)
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
