"""Run the emulator's WSGI app on 127.0.0.1 in a background thread."""

from __future__ import annotations

import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from emulator.app import EmulatorApp

# The emulator listens on loopback only, so no other host can reach it.
HOST = "127.0.0.1"


class _QuietRequestHandler(WSGIRequestHandler):
    """Request handler without werkzeug's access log, because the app logs each request itself."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class EmulatorServer:
    """The emulator, served on 127.0.0.1 by werkzeug in a daemon thread.

    ``port=0`` picks a free port; read it back from ``port`` or ``url``. Use it
    as a context manager, or call ``start`` and ``stop``.
    """

    def __init__(self, port: int = 0, speed: float = 0.0, app: EmulatorApp | None = None) -> None:
        self.app = app or EmulatorApp(speed=speed)
        self._server: BaseWSGIServer = make_server(
            HOST, port, self.app, threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> EmulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                # Seconds between checks for a shutdown request, so stop() returns quickly.
                kwargs={"poll_interval": 0.05},
                name=f"emulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and wait for the server thread to end."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
