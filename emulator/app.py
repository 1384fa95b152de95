"""WSGI application: the emulator's own operations, moto for the rest, and /_emulator/ control.

Six OpenSearch Service operations are served from the emulator's software
model: StartServiceSoftwareUpdate, CancelServiceSoftwareUpdate,
ListScheduledActions, UpdateScheduledAction, DescribeDomain and DescribeDomains.
moto serves every other request, and the emulator rewrites the DomainStatus and
DomainConfig in moto's responses so they carry the emulator's software state.
Before and after serving, fault rules (emulator.faults) may delay a request,
replace its response with an error, or drop its connection.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import socket
import time
from collections.abc import Iterable
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Request, Response

from emulator import control, domains
from emulator.clock import EmulatedClock
from emulator.errors import ApiError, ControlError, validation_error
from emulator.faults import Fault, FaultKind
from emulator.model import RouteMatch, match_route, mutating_operations
from emulator.operations import HANDLERS, Call
from emulator.software import DomainKey
from emulator.state import EmulatorState

# Operations whose requests change state: every operation in botocore's
# OpenSearch Service model except the Describe, Get, List and Compare ones.
MUTATING_OPERATIONS: frozenset[str] = mutating_operations()

CONTROL_PREFIX = "/_emulator/"
# A request without SigV4 credentials goes to this region, as moto's does.
DEFAULT_REGION = "us-east-1"

# Matches "Credential=<access key>/<date>/<region>/<service>/aws4_request".
_CREDENTIAL = re.compile(r"Credential=([^/\s,]+)/\d{8}/([^/\s,]+)/")

log = logging.getLogger("emulator.requests")
control_log = logging.getLogger("emulator.control")


def _json_response(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json")
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def _api_error_response(error: ApiError) -> Response:
    return _json_response(error.body(), error.status, x_amzn_ErrorType=error.code)


class EmulatorApp:
    """The emulator as a WSGI callable. One instance owns one EmulatorState.

    NOTE: moto keeps its backends in module globals, so all EmulatorApp instances
    in one process share the same moto domains, and a reset of one empties them all.
    """

    def __init__(self, state: EmulatorState | None = None, speed: float = 0.0) -> None:
        self.state = state or EmulatorState(clock=EmulatedClock(speed))
        self._moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            response = self._serve_control(request)
        else:
            response = self._serve_api(request)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    # API requests

    def _serve_api(self, request: Request) -> Response:
        """Serve one API request, with the fault that the rules pick, and log it.

        Raises ConnectionDropped after closing the connection for a drop fault.
        """
        body = request.get_data(cache=True)
        route = match_route(request.method, request.path)
        access_key, region = self._credentials(request)
        account_id = self._account_id(request, access_key)
        params = self._params(route, request, body)
        operation = route.name if route else None
        domain = params.get("DomainName")
        domain_name = domain if isinstance(domain, str) else None

        fault = self.state.faults.choose(operation, domain_name)
        if fault is not None and fault.kind is FaultKind.LATENCY:
            # Outside the state lock, so that other requests go on meanwhile.
            time.sleep(fault.seconds)

        served_status: int | None = None
        if fault is not None and fault.before:
            now = self.state.clock.now()
            response = self._fault_response(fault, domain_name)
        else:
            now, response = self._serve_locked(
                request,
                body=body,
                route=route,
                account_id=account_id,
                region=region,
                params=params,
                operation=operation,
            )
            served_status = response.status_code
            if fault is not None and fault.kind is FaultKind.INTERNAL_AFTER:
                response = self._fault_response(fault, domain_name)

        dropped = fault is not None and fault.drops_connection
        error = None if dropped else response.headers.get("x-amzn-ErrorType")
        entry = {
            "time": now,
            "operation": operation,
            "domain": domain_name,
            "region": region,
            "params": params,
            # None when the connection was dropped, because no response was sent.
            "status": None if dropped else response.status_code,
            "error": error.split(":", 1)[0] if error else None,
            "injected": None if fault is None else fault.kind.value,
            # Whether the emulator carried out the request, whatever the client received.
            "applied": served_status is not None and served_status < 300,
        }
        self.state.requests.append(entry)
        self._log_request(request, entry, served_status)
        if dropped:
            _drop_connection(request.environ)
        return response

    def _serve_locked(
        self,
        request: Request,
        *,
        body: bytes,
        route: RouteMatch | None,
        account_id: str,
        region: str,
        params: dict[str, Any],
        operation: str | None,
    ) -> tuple[float, Response]:
        """Carry out the request under the state lock and return the clock time and response."""
        with self.state.lock:
            now = self.state.clock.now()
            try:
                if route is not None and route.name in HANDLERS:
                    response = self._serve_own(route, account_id, region, params, body)
                else:
                    response = self._serve_moto(
                        request,
                        body=body,
                        route=route,
                        account_id=account_id,
                        region=region,
                        params=params,
                    )
            except Exception as failure:
                # A bug in the emulator or in moto. The client gets the modeled
                # InternalException, and the request log still records the call.
                log.exception("%s failed for domain %s", operation, params.get("DomainName"))
                internal = ApiError("InternalException", f"The emulator failed: {failure!r}")
                response = _api_error_response(internal)
        return now, response

    @staticmethod
    def _fault_response(fault: Fault, domain: str | None) -> Response:
        error = fault.api_error(domain)
        if error is None:
            # A dropped connection sends nothing, so the body is never read.
            return Response(status=204)
        return _api_error_response(error)

    @staticmethod
    def _log_request(request: Request, entry: dict[str, Any], served_status: int | None) -> None:
        operation = entry["operation"] or f"{request.method} {request.path}"
        if entry["injected"] is None:
            log.info(
                "%s domain=%s status=%s error=%s",
                operation,
                entry["domain"],
                entry["status"],
                entry["error"],
            )
            return
        log.info(
            "%s domain=%s status=%s error=%s injected=%s applied=%s served_status=%s",
            operation,
            entry["domain"],
            entry["status"],
            entry["error"],
            entry["injected"],
            entry["applied"],
            served_status,
        )

    @staticmethod
    def _credentials(request: Request) -> tuple[str | None, str]:
        match = _CREDENTIAL.search(request.headers.get("Authorization", ""))
        if match is None:
            return None, DEFAULT_REGION
        return match.group(1), match.group(2)

    @staticmethod
    def _account_id(request: Request, access_key: str | None) -> str:
        # The same order that moto 5.2.5 uses, so that the emulator's operations
        # and moto's operations see the same account.
        if "MOTO_ACCOUNT_ID" in os.environ:
            return os.environ["MOTO_ACCOUNT_ID"]
        header = request.headers.get("x-moto-account-id")
        if header:
            return header
        if access_key is None:
            return DEFAULT_ACCOUNT_ID
        return get_account_id_from(access_key)

    @staticmethod
    def _params(route: RouteMatch | None, request: Request, body: bytes) -> dict[str, Any]:
        """Merge the JSON body, URI labels and query-string members into one dict."""
        params: dict[str, Any] = {}
        if body:
            try:
                decoded = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                decoded = None
            if isinstance(decoded, dict):
                params.update(decoded)
        if route is not None:
            params.update(route.query_params(request.query_string.decode("latin-1")))
            params.update(route.uri_params)
        return params

    def _serve_own(
        self,
        route: RouteMatch,
        account_id: str,
        region: str,
        params: dict[str, Any],
        body: bytes,
    ) -> Response:
        call = Call(self.state, account_id, region, params)
        try:
            if body and not isinstance(_decode_json(body), dict):
                raise validation_error("The request body must be a JSON object.")
            result = HANDLERS[route.name](call)
        except ApiError as error:
            return _api_error_response(error)
        return _json_response(result)

    def _serve_moto(
        self,
        request: Request,
        *,
        body: bytes,
        route: RouteMatch | None,
        account_id: str,
        region: str,
        params: dict[str, Any],
    ) -> Response:
        name = params.get("DomainName")
        key = DomainKey(account_id, region, name) if isinstance(name, str) else None
        operation = route.name if route else None
        # moto 5.2.5 fails with a KeyError (HTTP 500) for an unknown domain here.
        if operation == "UpdateDomainConfig" and key and domains.find_domain(key) is None:
            return _api_error_response(
                ApiError("ResourceNotFoundException", f"Domain not found: {name}")
            )

        environ = dict(request.environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        app_iter, status, headers = run_wsgi_app(self._moto, environ, buffered=True)
        response = Response(b"".join(app_iter), status=status, headers=headers)
        if response.status_code >= 300 or key is None:
            return response
        return self._fix_moto_response(response, operation, key, params)

    def _fix_moto_response(
        self, response: Response, operation: str | None, key: DomainKey, params: dict[str, Any]
    ) -> Response:
        payload = _decode_json(response.get_data())
        if not isinstance(payload, dict):
            return response
        now = self.state.clock.now()
        moto_domain = domains.find_domain(key)

        if "DomainStatus" in payload:
            status = payload["DomainStatus"]
            if operation == "DeleteDomain":
                software = self.state.forget(key) or domains.default_software(
                    status.get("OffPeakWindowOptions"), status.get("SoftwareUpdateOptions")
                )
            elif moto_domain is not None:
                software = self.state.software_for(key, moto_domain)
            else:
                return response
            domains.fix_domain_status(status, software, now, self.state.settings)
        elif "DomainConfig" in payload and moto_domain is not None:
            software = self.state.software_for(key, moto_domain)
            if operation == "UpdateDomainConfig":
                domains.apply_domain_options(
                    software,
                    params.get("OffPeakWindowOptions"),
                    params.get("SoftwareUpdateOptions"),
                )
            domains.fix_domain_config(payload["DomainConfig"], software, moto_domain)
        else:
            return response
        response.set_data(json.dumps(payload))
        return response

    # Control requests

    def _serve_control(self, request: Request) -> Response:
        try:
            body = _decode_json(request.get_data()) if request.get_data() else {}
            if body is _INVALID_JSON:
                raise ControlError("the request body is not valid JSON")
            result = self._dispatch_control(request, body)
        except ControlError as error:
            control_log.info(
                "rejected control call %s %s: %s", request.method, request.path, error.message
            )
            return _json_response({"message": error.message}, error.status)
        return _json_response(result)

    def _dispatch_control(self, request: Request, body: Any) -> dict[str, Any]:
        state = self.state
        method = request.method
        parts = request.path[len(CONTROL_PREFIX) :].strip("/").split("/")
        endpoint = parts[0]
        routes: dict[tuple[str, str], Any] = {
            ("GET", "health"): lambda: {"ok": True},
            ("GET", "faults"): state.faults.snapshot,
            ("POST", "faults"): lambda: control.set_faults(state, body),
            ("DELETE", "faults"): lambda: control.clear_faults(state),
            ("GET", "stuck"): lambda: control.stuck_info(state),
            ("POST", "stuck"): lambda: control.change_stuck(state, body),
            ("POST", "domains"): lambda: control.seed_domain(state, body),
            ("GET", "clock"): lambda: control.clock_info(state),
            ("POST", "clock"): lambda: control.change_clock(state, body),
            ("GET", "requests"): lambda: {"requests": state.requests.entries()},
            ("DELETE", "requests"): lambda: _clear_requests(state),
            ("GET", "settings"): lambda: control.settings_info(state),
            ("POST", "settings"): lambda: control.change_settings(state, body),
            ("POST", "slots"): lambda: control.change_slots(state, body),
            ("POST", "reset"): lambda: _reset(state),
        }
        if endpoint == "domains" and method == "DELETE" and len(parts) == 3:
            account_id = request.args.get("account_id", DEFAULT_ACCOUNT_ID)
            return control.delete_domain(state, account_id, parts[1], parts[2])
        handler = routes.get((method, endpoint)) if len(parts) == 1 else None
        if handler is None:
            raise ControlError(f"no control endpoint {method} {request.path}", status=404)
        result: dict[str, Any] = handler()
        return result


_INVALID_JSON = object()


def _decode_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _INVALID_JSON


class ConnectionDropped(ConnectionAbortedError):
    """Raised out of the WSGI app after an injected fault closed the client connection.

    werkzeug's request handler treats a ConnectionError from the app as a client
    that went away: it sends nothing more and the server goes on serving.
    """


def _drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's connection without a response, then raise ConnectionDropped."""
    connection = environ.get("werkzeug.socket")
    if connection is not None:
        # The request body was read before this, so the shutdown sends a FIN and
        # the client sees the connection closed before any response.
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    # NOTE: only werkzeug's server puts the socket in the environ. Under another
    # WSGI server the exception alone ends the request, and that server may
    # send its own error response instead.
    raise ConnectionDropped("connection closed by an injected fault")


def _clear_requests(state: EmulatorState) -> dict[str, Any]:
    state.requests.clear()
    return {"ok": True}


def _reset(state: EmulatorState) -> dict[str, Any]:
    state.reset()
    return {"ok": True}
