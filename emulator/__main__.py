"""Run the emulator in the foreground.

Usage: ``python -m emulator --port 0 --speed 60 --port-file PATH --faults FILE.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from emulator.errors import ControlError
from emulator.faults import FaultConfig, parse_config
from emulator.server import EmulatorServer

log = logging.getLogger("emulator")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Serve the local OpenSearch Service emulator on 127.0.0.1.",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port to listen on; 0 picks a free port (default 0)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=0.0,
        help="emulated seconds per real second; 0 freezes the clock (default 0)",
    )
    parser.add_argument(
        "--port-file",
        type=Path,
        help="file to write the bound port to once the server listens",
    )
    parser.add_argument(
        "--faults",
        type=Path,
        help="JSON file of initial fault rules, in the body format of POST /_emulator/faults",
    )
    args = parser.parse_args(argv)
    if args.speed < 0:
        parser.error(f"--speed must be >= 0, got {args.speed}")
    if args.faults is not None:
        args.fault_config = _load_faults(parser, args.faults)
    return args


def _load_faults(parser: argparse.ArgumentParser, path: Path) -> FaultConfig:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        parser.error(f"cannot read --faults file {path}: {error}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        parser.error(f"--faults file {path} is not valid JSON: {error}")
    try:
        return parse_config(body)
    except ControlError as error:
        parser.error(f"invalid --faults file {path}: {error.message}")


def _write_port_file(path: Path, port: int) -> None:
    # Write then rename, so a reader never sees a partly written port number.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{port}\n", encoding="utf-8")
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    server = EmulatorServer(port=args.port, speed=args.speed)
    if args.faults is not None:
        # Loaded before the server starts, so the rules apply from the first request.
        server.app.state.faults.replace(args.fault_config)
        log.info("loaded %d fault rule(s) from %s", len(args.fault_config.rules), args.faults)
    server.start()
    # stdout carries only this line, for scripts that start the emulator and read its URL.
    print(f"emulator listening on {server.url}", flush=True)
    log.info("emulator listening on %s (clock speed %s)", server.url, args.speed)
    if args.port_file is not None:
        _write_port_file(args.port_file, server.port)
        log.info("wrote port %d to %s", server.port, args.port_file)
    try:
        # A timed wait lets the main thread run the signal handlers.
        while not stop_requested.wait(timeout=0.5):
            pass
    finally:
        server.stop()
        log.info("emulator stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
